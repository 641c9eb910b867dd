import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ExecutedAction } from "../api/types";
import { IncidentActions } from "../features/incidents/IncidentActions";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const action = (id: string, overrides: Partial<ExecutedAction> = {}): ExecutedAction => ({
  id,
  request: {
    action: "clear_cache", target: "acme-cache-01", tenant: "acme", params: {}, reason: "cache_degraded: CacheHitRatioLow",
    requested_by: "agent:TaskOps", idempotency_key: null, confidence: 0.85, incident_id: "INC-1", correlation_id: null,
    dry_run: false,
  },
  state: "succeeded",
  decisions: [
    { rule: "kill_switch", allowed: true, reason: "kill switch is off", at: "2026-05-01T12:00:00Z" },
    { rule: "risk_policy", allowed: true, reason: "low risk: automatic", at: "2026-05-01T12:00:00Z" },
  ],
  blocked_by: null, result: null, verified: true, verification: "cache_hit >= 0.6 on acme-cache-01", attempts: 1,
  risk: "LOW", approved_by: null, expires_at: null, created_at: "2026-05-01T12:00:00Z", started_at: null, finished_at: null,
  ...overrides,
});

function renderWith(items: ExecutedAction[]) {
  const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(
    new Response(JSON.stringify({ items, next_cursor: null }), { status: 200, headers: { "Content-Type": "application/json" } }),
  );
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <IncidentActions incidentId="INC-1" />
    </QueryClientProvider>,
  );
  return fetchMock;
}

describe("incident actions", () => {
  it("asks for the incident's actions and shows each decision and the verified outcome", async () => {
    const fetchMock = renderWith([
      action("EXA-1"),
      action("EXA-2", {
        state: "blocked", blocked_by: "kill_switch", verified: null, verification: null,
        decisions: [{ rule: "kill_switch", allowed: false, reason: "kill switch is active by ops: freeze", at: "2026-05-01T12:01:00Z" }],
      }),
    ]);
    expect(await screen.findByText("verified: cache_hit >= 0.6 on acme-cache-01")).toBeTruthy();
    expect(screen.getByText("blocked by kill_switch")).toBeTruthy();
    expect(screen.getAllByTestId("guard-decision").map((row) => row.textContent)).toEqual([
      "kill_switchallowedkill switch is off",
      "risk_policyallowedlow risk: automatic",
      "kill_switchrefusedkill switch is active by ops: freeze",
    ]);
    expect(String(fetchMock.mock.calls[0][0])).toBe("/api/actions?incident_id=INC-1&limit=100");
  });

  it("says when nothing was requested", async () => {
    renderWith([]);
    expect(await screen.findByText("No action was requested for this incident.")).toBeTruthy();
  });
});

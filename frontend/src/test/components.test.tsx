import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";
import { appendLogs } from "../components/layout/LogPanel";
import { alertRate, DashboardPage } from "../features/dashboard/DashboardPage";
import type { IncidentSummary, LogEntry } from "../api/types";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const entry = (seq: number): LogEntry => ({ seq, timestamp: "2026-05-01T12:00:00Z", type: "INFO", agent: null, message: `m${seq}` });

describe("appendLogs", () => {
  it("skips entries already shown and keeps the newest thousand", () => {
    const first = appendLogs([], [entry(1), entry(2)]);
    expect(appendLogs(first, [entry(2), entry(3)]).map((e) => e.seq)).toEqual([1, 2, 3]);
    const many = appendLogs([], Array.from({ length: 1200 }, (_, n) => entry(n + 1)));
    expect(many.length).toBe(1000);
    expect(many[0].seq).toBe(201);
  });
});

describe("alertRate", () => {
  it("counts incidents and their alerts per bucket", () => {
    const incident = (minute: number, alerts: number) =>
      ({ createdAt: `2026-05-01T12:${String(minute).padStart(2, "0")}:00Z`, alerts }) as IncidentSummary;
    const rows = alertRate([incident(0, 3), incident(1, 1), incident(59, 2)], 2);
    expect(rows.map((r) => [r.incidents, r.alerts])).toEqual([[2, 4], [1, 2]]);
  });
});

describe("DashboardPage", () => {
  it("says 'not enough data yet' for null figures, never a number", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      const body = url.startsWith("/api/metrics")
        ? { alertsReduced: 42.5, mttrReduction: null, tasksAutomated: null, activeIncidents: 2, patchesPending: null, upcomingRisks: null }
        : [];
      return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
    });
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter><DashboardPage /></MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByText("42.5%")).toBeTruthy();
    const mttr = await screen.findByTestId("kpi-mttrReduction");
    expect(mttr.textContent).toContain("not enough data yet");
  });
});

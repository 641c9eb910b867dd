import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PatchesPage } from "../features/patches/PatchesPage";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const phase = (wave: number, status: string, progress: number) => ({
  name: wave === 0 ? "Canary (1 hosts)" : `Wave ${wave}`, hosts: [], status, progress, wave, bake_seconds: 900,
  started_at: null, bake_until: null, extended: false,
});
const summary = {
  id: "PLAN-1", name: "openssl 3.0.13", systems: 3, progress: 33, status: "paused", created_at: "2026-11-24T01:00:00Z",
  risk_score: 0.5, incident_id: null, advisory_id: "OSA-1", canary_size: 1, state: "paused", package: "openssl",
  fixed_version: "3.0.13", severity: "high", cvss: 8.1, priority: 0.6, wave_index: 0,
  pause_reason: "Canary (1 hosts) inconclusive twice", canary_phases: [phase(0, "in_progress", 100), phase(1, "pending", 0)],
  updated_at: null,
};
const detail = {
  ...summary, pause_kind: "approval", approved_by: "user:alice", rollback_plan: "rollback_patch on every patched host",
  notes: [],
  affected_hosts: [
    { host: "web-1", tenant: "acme", wave: 0, status: "installed", role: "web", service: "acme-web", rollback_to: "3.0.12", note: "", preflight: {} },
    { host: "web-2", tenant: "acme", wave: 1, status: "pending", role: "web", service: "acme-web", rollback_to: "3.0.12", note: "", preflight: {} },
  ],
  health_checks: [{
    wave: 0, at: "2026-11-24T01:30:00Z", window_start: "2026-11-24T01:00:00Z", window_end: "2026-11-24T01:30:00Z",
    verdict: "inconclusive", reason: "evidence split or too few samples: web-1 latency_p95", hosts: ["web-1"],
    comparisons: [{ host: "web-1", metric: "latency_p95", n_patched: 30, n_peers: 60, n_baseline: 30, patched_median: 151.5,
      peers_median: 150.1, baseline_median: 90.2, p_peers: 0.41, p_baseline: 0.0001, verdict: "inconclusive" }],
    anomaly_flags_patched: 0, anomaly_flags_peers: 1,
    chart: [{ t: 1, patched: 0.3, peers: 0.31 }, { t: 2, patched: 0.35, peers: 0.3 }],
  }],
};

describe("PatchesPage", () => {
  it("lists plans with their waves and shows a plan's checks with figures and the commands its state allows", async () => {
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      calls.push(`${init?.method ?? "GET"} ${url}`);
      const body = url.startsWith("/api/patches/advisories") ? [] : url.startsWith("/api/patches/PLAN-1") ? detail : [summary];
      return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
    });
    render(<QueryClientProvider client={new QueryClient()}><PatchesPage /></QueryClientProvider>);
    fireEvent.click(await screen.findByRole("button", { name: "openssl 3.0.13" }));
    expect(await screen.findByText("151.5")).toBeTruthy();
    expect(screen.getByRole("img", { name: /patched hosts and unpatched peers/ })).toBeTruthy();
    expect(screen.getByText(/Paused: Canary \(1 hosts\) inconclusive twice/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull(); // an inconclusive check is approved, not resumed
    fireEvent.click(screen.getByRole("button", { name: "Roll back" }));
    await vi.waitFor(() => expect(calls).toContain("POST /api/patches/PLAN-1/rollback"));
  });
});

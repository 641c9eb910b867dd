import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";
import type { IncidentSummary } from "../api/types";
import { IncidentsPage } from "../features/incidents/IncidentsPage";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const incident = (id: string): IncidentSummary => ({
  id, title: `Incident ${id}`, status: "open", severity: "high", alerts: 2, time: "Just now",
  createdAt: "2026-05-01T12:00:00Z", updatedAt: "2026-05-01T12:00:00Z", resolvedAt: null, rootCause: null,
  rootCauseService: "db", rootCauseHost: null, confidence: null, agents: [], processingState: "done",
  tenant: "acme", services: ["db"],
});

function reply(body: unknown, next: string | null): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (next) headers["X-Next-Cursor"] = next;
  return new Response(JSON.stringify(body), { status: 200, headers });
}

describe("IncidentsPage paging", () => {
  it("follows X-Next-Cursor, goes back, and starts again at the newest page when a filter changes", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      return url.includes("cursor=c1") ? reply([incident("INC-2")], null) : reply([incident("INC-1")], "c1");
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <MemoryRouter><IncidentsPage /></MemoryRouter>
      </QueryClientProvider>,
    );
    await screen.findByText("Incident INC-1");
    expect((screen.getByRole("button", { name: "Newer" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Older" }));
    await screen.findByText("Incident INC-2");
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Older" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Tenant"), { target: { value: "acme" } });
    await screen.findByText("Incident INC-1");
    expect(screen.getByText("Page 1")).toBeTruthy();
    const last = String(fetchMock.mock.calls[fetchMock.mock.calls.length - 1][0]);
    expect(last).toContain("tenant=acme");
    expect(last).not.toContain("cursor=");
    fireEvent.change(screen.getByLabelText("Tenant"), { target: { value: "" } });
    await waitFor(() => expect(screen.getByText("Page 1")).toBeTruthy());
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";
import type { Alert } from "../api/types";
import { AlertsPage } from "../features/alerts/AlertsPage";
import { filtersKey, readAlertFilters, withAlertFilters } from "../features/alerts/alertFilters";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const alert = (fingerprint: string, overrides: Partial<Alert> = {}): Alert => ({
  fingerprint, incident_id: "INC-1",
  labels: { alertname: "HighLatency", tenant: "acme", service: "api", instance: "api-1" },
  annotations: {}, status: "firing", startsAt: "2026-05-01T12:00:00Z", endsAt: null,
  lastSeen: "2026-05-01T12:05:00Z", count: 7, ...overrides,
});

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function renderAt(url: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}><AlertsPage /></MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("alert filters in the URL", () => {
  it("reads trimmed filters and drops empty ones and unknown statuses", () => {
    expect(readAlertFilters(new URLSearchParams("status=firing&incident_id=%20INC-9%20&fingerprint="))).toEqual({
      status: "firing", incident_id: "INC-9",
    });
    expect(readAlertFilters(new URLSearchParams("status=bogus&fingerprint=ab12"))).toEqual({ fingerprint: "ab12" });
  });

  it("sets and removes only the filters it is given, keeping other parameters", () => {
    const next = withAlertFilters(new URLSearchParams("status=firing&incident_id=INC-1&tab=x"), {
      incident_id: "", fingerprint: " ab12 ",
    });
    expect(next.toString()).toBe("status=firing&tab=x&fingerprint=ab12");
  });

  it("keys the same filters the same way whatever their order", () => {
    expect(filtersKey({ status: "firing", incident_id: "INC-1" })).toBe(filtersKey({ incident_id: "INC-1", status: "firing" }));
    expect(filtersKey({ status: "firing" })).not.toBe(filtersKey({ status: "resolved" }));
  });
});

describe("AlertsPage", () => {
  it("asks the API for the deep-linked incident and shows each alert with a link to its incident", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(
      reply(200, { items: [alert("f1"), alert("f2", { status: "resolved", incident_id: null, labels: { alertname: "Down" } })], next_cursor: null }),
    );
    renderAt("/alerts?incident_id=INC-1");
    const rows = await screen.findAllByTestId("alert-row");
    expect(rows).toHaveLength(2);
    const url = String(fetchMock.mock.calls[0][0]);
    expect(url).toContain("incident_id=INC-1");
    expect(url).toContain("limit=50");
    expect(rows[0].textContent).toContain("HighLatency");
    expect(rows[0].textContent).toContain("acme");
    expect(rows[0].textContent).toContain("api-1");
    expect(rows[0].textContent).toContain("7");
    expect(rows[0].querySelector("a[data-testid='alert-incident']")?.getAttribute("href")).toBe("/incidents/INC-1");
    expect(rows[1].querySelector("[data-testid='alert-incident']")).toBeNull();
    expect(rows[1].textContent).toContain("resolved");
    expect((screen.getByLabelText("Incident") as HTMLInputElement).value).toBe("INC-1");
  });

  it("follows next_cursor for older alerts and goes back without it", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(reply(200, { items: [alert("f1")], next_cursor: "c1" }))
      .mockResolvedValue(reply(200, { items: [alert("f2")], next_cursor: null }));
    renderAt("/alerts?status=firing");
    await screen.findByText("f1");
    fireEvent.click(screen.getByRole("button", { name: "Older" }));
    await screen.findByText("f2");
    const second = String(fetchMock.mock.calls[1][0]);
    expect(second).toContain("cursor=c1");
    expect(second).toContain("status=firing");
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Older" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Newer" }));
    await waitFor(() => expect(screen.getByText("Page 1")).toBeTruthy());
  });

  it("sends a looked-up fingerprint and starts again from the first page", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(reply(200, { items: [], next_cursor: null }));
    renderAt("/alerts");
    await screen.findByText("No alerts match.");
    fireEvent.change(screen.getByLabelText("Fingerprint"), { target: { value: "abc123" } });
    fireEvent.click(screen.getByRole("button", { name: "Look up" }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([url]) => String(url).includes("fingerprint=abc123"))).toBe(true));
  });

  it("shows the API's error", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(reply(422, { detail: "status: bad value" }));
    renderAt("/alerts");
    expect((await screen.findByRole("alert")).textContent).toContain("status: bad value");
  });
});

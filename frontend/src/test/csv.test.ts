import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, incidentsToCsv } from "../api/csv";
import type { IncidentSummary } from "../api/types";

const row: IncidentSummary = {
  id: "INC-1", title: 'Disk "full", on db-1', status: "open", severity: "critical", alerts: 3, time: "Just now",
  createdAt: "2026-05-01T12:00:00.000Z", updatedAt: "2026-05-01T12:00:00.000Z", resolvedAt: null,
  rootCause: null, rootCauseService: "db", rootCauseHost: "db-1", confidence: 0.8, agents: ["AlertOps"],
  processingState: "correlating", tenant: "acme", services: ["db"],
};

describe("incidentsToCsv", () => {
  it("writes a header and quotes cells that need it", () => {
    const lines = incidentsToCsv([row]).trimEnd().split("\r\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines[1]).toBe('INC-1,"Disk ""full"", on db-1",open,critical,acme,3,2026-05-01T12:00:00.000Z,,db,db-1,0.8');
  });
  it("writes only the header for no rows", () => {
    expect(incidentsToCsv([])).toBe(CSV_COLUMNS.join(",") + "\r\n");
  });
});

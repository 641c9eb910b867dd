import { describe, expect, it } from "vitest";
import { AUDIT_CSV_COLUMNS, auditToCsv, CSV_COLUMNS, incidentsToCsv } from "../api/csv";
import type { AuditLogRow, IncidentSummary } from "../api/types";

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

describe("auditToCsv", () => {
  const entry: AuditLogRow = {
    id: "AUD-1", agent: "user:alice", action: "kill_switch.activate", target: "fleet", status: "completed",
    time: "2026-05-01T12:00:00.000Z", reason: "=HYPERLINK(\"http://x\")", incident_id: null, actor_kind: "user",
    decision: null, result: null, details: {}, seq: 1, prev_hash: "0".repeat(64), hash: "ab", recorded_at: null,
  };
  it("starts with the seed's columns and keeps formulas as text", () => {
    const [header, line] = auditToCsv([entry]).trimEnd().split("\r\n");
    expect(header.split(",").slice(0, 7)).toEqual(["id", "time", "agent", "action", "target", "status", "incident_id"]);
    expect(header).toBe(AUDIT_CSV_COLUMNS.join(","));
    expect(line).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(line.startsWith("AUD-1,2026-05-01T12:00:00.000Z,user:alice,kill_switch.activate,fleet,completed,,user")).toBe(true);
  });
});

// CSV export of incidents: RFC 4180 quoting, one row per incident, the columns an operator files.
import type { AuditLogRow, IncidentSummary } from "./types";

export const CSV_COLUMNS = [
  "id", "title", "status", "severity", "tenant", "alerts", "createdAt", "resolvedAt",
  "rootCauseService", "rootCauseHost", "confidence",
] as const;

function cell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  // Text a spreadsheet would run as a formula (an attacker can put it in a reason or a label) is kept as text.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function incidentsToCsv(rows: IncidentSummary[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((column) => cell(row[column])).join(","));
  return lines.join("\r\n") + "\r\n";
}

// The seed's audit columns (Action ID, Timestamp, Agent, Action Type, Target, Status, Incident ID) first, then the
// decision, reason and the chain fields that let a reader check the export against /api/audit-logs/verify.
export const AUDIT_CSV_COLUMNS = [
  "id", "time", "agent", "action", "target", "status", "incident_id", "actor_kind", "decision", "result", "reason",
  "seq", "prev_hash", "hash", "recorded_at",
] as const;

export function auditToCsv(rows: AuditLogRow[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(AUDIT_CSV_COLUMNS.map((column) => cell(row[column])).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Save ``text`` as a CSV file named ``name`` through the browser's download. */
export function downloadCsv(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

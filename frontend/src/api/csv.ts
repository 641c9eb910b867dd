// CSV export of incidents: RFC 4180 quoting, one row per incident, the columns an operator files.
import type { IncidentSummary } from "./types";

export const CSV_COLUMNS = [
  "id", "title", "status", "severity", "tenant", "alerts", "createdAt", "resolvedAt",
  "rootCauseService", "rootCauseHost", "confidence",
] as const;

function cell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function incidentsToCsv(rows: IncidentSummary[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((column) => cell(row[column])).join(","));
  return lines.join("\r\n") + "\r\n";
}

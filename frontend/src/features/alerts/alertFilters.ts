// The Alerts page keeps its filters in the URL, so a deep link (?incident_id=...) and a reload show the same rows.
import type { AlertFilters, AlertStatus } from "../../api/types";

export const ALERT_STATUSES: readonly AlertStatus[] = ["firing", "resolved"];
const FILTER_NAMES = ["status", "incident_id", "fingerprint"] as const;

/** Returns the filters named in the query string: trimmed, empty ones dropped, an unknown status dropped. */
export function readAlertFilters(params: URLSearchParams): AlertFilters {
  const filters: AlertFilters = {};
  const status = params.get("status")?.trim();
  if (status && (ALERT_STATUSES as readonly string[]).includes(status)) filters.status = status as AlertStatus;
  const incident = params.get("incident_id")?.trim();
  if (incident) filters.incident_id = incident;
  const fingerprint = params.get("fingerprint")?.trim();
  if (fingerprint) filters.fingerprint = fingerprint;
  return filters;
}

/** Returns a copy of `params` with the filter keys in `changes` set, or removed when empty; others are kept. */
export function withAlertFilters(params: URLSearchParams, changes: Partial<Record<keyof AlertFilters, string>>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of FILTER_NAMES) {
    if (!(name in changes)) continue;
    const value = changes[name]?.trim();
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}

/** Returns a stable key for a set of filters (the same filters in any order give the same key). */
export function filtersKey(filters: AlertFilters): string {
  return FILTER_NAMES.map((name) => `${name}=${filters[name] ?? ""}`).join("&");
}

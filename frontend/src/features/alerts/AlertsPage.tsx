import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api } from "../../api/client";
import type { Alert } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";
import { ALERT_STATUSES, filtersKey, readAlertFilters, withAlertFilters } from "./alertFilters";

const PAGE_SIZE = 50;

function when(moment: string): string {
  return new Date(moment).toLocaleString();
}

function AlertRow({ alert }: { alert: Alert }) {
  const { labels } = alert;
  return (
    <tr data-testid="alert-row" data-fingerprint={alert.fingerprint} data-status={alert.status}>
      <td>
        <b>{labels.alertname ?? "—"}</b>
        <div className="muted">
          <Link to={`/alerts?fingerprint=${encodeURIComponent(alert.fingerprint)}`} title="Show only this alert">
            {alert.fingerprint}
          </Link>
        </div>
      </td>
      <td><Badge value={alert.status} /></td>
      <td>{labels.tenant ?? "—"}</td>
      <td>{labels.service ?? "—"}</td>
      <td>{labels.instance ?? "—"}</td>
      <td>{when(alert.startsAt)}</td>
      <td>{when(alert.lastSeen)}</td>
      <td>{alert.count}</td>
      <td>
        {alert.incident_id ? (
          <Link to={`/incidents/${encodeURIComponent(alert.incident_id)}`} data-testid="alert-incident">
            {alert.incident_id}
          </Link>
        ) : (
          "—"
        )}
      </td>
    </tr>
  );
}

export function AlertsPage() {
  const [params, setParams] = useSearchParams();
  const filters = readAlertFilters(params);
  const key = filtersKey(filters);
  // The cursor stack belongs to one set of filters: new filters (a form, a link, back/forward) start at page 1.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  const cursors = paging.key === key ? paging.cursors : [null];
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ["alerts", filters, cursor],
    queryFn: () => api.alerts(filters, PAGE_SIZE, cursor),
    refetchInterval: 5000,
    placeholderData: keepPreviousData,
  });
  const apply = (changes: Parameters<typeof withAlertFilters>[1]) => setParams(withAlertFilters(params, changes));
  const rows = page.data?.items ?? [];
  return (
    <div className="page">
      <h1>Alerts</h1>
      {filters.incident_id && (
        <p>
          Alerts of incident <Link to={`/incidents/${encodeURIComponent(filters.incident_id)}`}>{filters.incident_id}</Link>
        </p>
      )}
      <div className="row filters">
        <label>
          Status
          <select value={filters.status ?? ""} onChange={(e) => apply({ status: e.target.value })} name="status">
            <option value="">any</option>
            {ALERT_STATUSES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <form
          key={`${filters.incident_id ?? ""} ${filters.fingerprint ?? ""}`}
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            apply({ incident_id: String(form.get("incident_id") ?? ""), fingerprint: String(form.get("fingerprint") ?? "") });
          }}
        >
          <label>
            Incident
            <input name="incident_id" defaultValue={filters.incident_id ?? ""} maxLength={64} placeholder="INC-…" />
          </label>
          <label>
            Fingerprint
            <input name="fingerprint" defaultValue={filters.fingerprint ?? ""} maxLength={128} />
          </label>
          <button type="submit">Look up</button>
          <button type="button" onClick={() => apply({ incident_id: "", fingerprint: "" })}>Clear</button>
        </form>
      </div>
      {page.isPending && <Loading what="alerts" />}
      {page.isError && <ErrorState error={page.error} />}
      {page.data && !rows.length && <Empty>No alerts match.</Empty>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Alert</th>
              <th>Status</th>
              <th>Tenant</th>
              <th>Service</th>
              <th>Instance</th>
              <th>Started</th>
              <th>Last seen</th>
              <th>Count</th>
              <th>Incident</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((alert) => <AlertRow key={alert.fingerprint} alert={alert} />)}
          </tbody>
        </table>
      )}
      <div className="row pager">
        <button type="button" disabled={cursors.length < 2} onClick={() => setPaging({ key, cursors: cursors.slice(0, -1) })}>
          Newer
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => page.data?.next_cursor && setPaging({ key, cursors: [...cursors, page.data.next_cursor] })}
        >
          Older
        </button>
      </div>
    </div>
  );
}

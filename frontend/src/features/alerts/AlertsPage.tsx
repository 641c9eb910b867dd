import { Link, useSearchParams } from "react-router";
import { api } from "../../api/client";
import type { Alert, AlertFilters, AlertPage } from "../../api/types";
import { usePagedQuery } from "../../api/usePagedQuery";
import { Badge } from "../../components/ui/Badge";
import { Pager } from "../../components/ui/Pager";
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
  const paged = usePagedQuery(
    "alerts",
    filters,
    filtersKey(filters),
    (f: AlertFilters, cursor) => api.alerts(f, PAGE_SIZE, cursor),
    (p: AlertPage) => p.next_cursor,
  );
  const page = paged.query;
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
      <Pager paged={paged} />
    </div>
  );
}

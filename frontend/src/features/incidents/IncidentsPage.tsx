import { useState } from "react";
import { Link } from "react-router";
import { api, type IncidentPage } from "../../api/client";
import { incidentsToCsv } from "../../api/csv";
import type { IncidentFilters, IncidentSummary } from "../../api/types";
import { usePagedQuery } from "../../api/usePagedQuery";
import { Badge } from "../../components/ui/Badge";
import { ExportCsvButton } from "../../components/ui/ExportCsvButton";
import { Pager } from "../../components/ui/Pager";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const PAGE_SIZE = 50;
type SortKey = "createdAt" | "severity" | "alerts" | "title";
const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"];

function sortRows(rows: IncidentSummary[], key: SortKey, descending: boolean): IncidentSummary[] {
  const value = (row: IncidentSummary): string | number =>
    key === "severity" ? -SEVERITY_ORDER.indexOf(row.severity) : key === "alerts" ? row.alerts : row[key];
  const sorted = [...rows].sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0));
  return descending ? sorted.reverse() : sorted;
}

export function IncidentsPage() {
  const [filters, setFilters] = useState<IncidentFilters>({});
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "createdAt", descending: true });
  // A change of filters starts again at the newest page.
  const paged = usePagedQuery(
    "incidents",
    filters,
    JSON.stringify([filters.status, filters.severity, filters.tenant]),
    (f: IncidentFilters, cursor) => api.incidents(f, PAGE_SIZE, cursor),
    (p: IncidentPage) => p.nextCursor,
  );
  const page = paged.query;
  const setFilter = (name: keyof IncidentFilters, value: string) => {
    setFilters((current) => ({ ...current, [name]: value || undefined }));
  };
  const needle = search.trim().toLowerCase();
  const rows = sortRows(
    (page.data?.items ?? []).filter(
      (row) => !needle || `${row.id} ${row.title} ${row.rootCauseService ?? ""} ${row.services.join(" ")}`.toLowerCase().includes(needle),
    ),
    sort.key,
    sort.descending,
  );
  const header = (key: SortKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}>
      <button type="button" className="link" onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : true })}>
        {label}
      </button>
    </th>
  );
  return (
    <div className="page">
      <h1>Incidents</h1>
      <div className="row filters">
        <label>
          Status
          <select value={filters.status ?? ""} onChange={(e) => setFilter("status", e.target.value)} name="status">
            <option value="">any</option>
            {["open", "acknowledged", "mitigating", "resolved"].map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Severity
          <select value={filters.severity ?? ""} onChange={(e) => setFilter("severity", e.target.value)} name="severity">
            <option value="">any</option>
            {SEVERITY_ORDER.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Tenant
          <input value={filters.tenant ?? ""} onChange={(e) => setFilter("tenant", e.target.value)} name="tenant" />
        </label>
        <label>
          Search this page
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} name="search" />
        </label>
        <ExportCsvButton filename={() => "incidents.csv"} build={async () => incidentsToCsv(await api.allIncidents(filters))} />
      </div>
      {page.isPending && <Loading what="incidents" />}
      {page.isError && <ErrorState error={page.error} />}
      {page.data && !rows.length && <Empty>No incidents match.</Empty>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              {header("title", "Incident")}
              {header("severity", "Severity")}
              <th>Status</th>
              <th>Tenant</th>
              {header("alerts", "Alerts")}
              <th>Root cause</th>
              {header("createdAt", "Created")}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-testid="incident-row">
                <td><Link to={`/incidents/${row.id}`}>{row.title}</Link><div className="muted">{row.id}</div></td>
                <td><Badge value={row.severity} /></td>
                <td>{row.status}</td>
                <td>{row.tenant}</td>
                <td>{row.alerts}</td>
                <td>{row.rootCauseService ?? row.rootCauseHost ?? "—"}</td>
                <td>{new Date(row.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager paged={paged} />
    </div>
  );
}

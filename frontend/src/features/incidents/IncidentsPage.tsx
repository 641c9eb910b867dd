import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import { downloadCsv, incidentsToCsv } from "../../api/csv";
import type { IncidentFilters, IncidentSummary } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
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
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "createdAt", descending: true });
  const [exporting, setExporting] = useState(false);
  const cursor = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ["incidents", filters, cursor],
    queryFn: () => api.incidents(filters, PAGE_SIZE, cursor),
    refetchInterval: 5000,
    placeholderData: keepPreviousData,
  });
  const setFilter = (name: keyof IncidentFilters, value: string) => {
    setFilters((current) => ({ ...current, [name]: value || undefined }));
    setCursors([null]);
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
        <button
          type="button"
          disabled={exporting}
          onClick={async () => {
            setExporting(true);
            try {
              downloadCsv("incidents.csv", incidentsToCsv(await api.allIncidents(filters)));
            } finally {
              setExporting(false);
            }
          }}
        >
          {exporting ? "Exporting…" : "Export CSV (all pages)"}
        </button>
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
      <Pager cursors={cursors} nextCursor={page.data?.nextCursor} onChange={setCursors} />
    </div>
  );
}

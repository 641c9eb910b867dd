import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, type Page } from "../../api/client";
import { auditToCsv } from "../../api/csv";
import type { AuditFilters, AuditLogRow, ChainStatus } from "../../api/types";
import { usePagedQuery } from "../../api/usePagedQuery";
import { Badge } from "../../components/ui/Badge";
import { ExportCsvButton } from "../../components/ui/ExportCsvButton";
import { Pager } from "../../components/ui/Pager";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const PAGE_SIZE = 50;

function ChainBadge({ status }: { status: ChainStatus }) {
  const unchained = status.unchained ? `; ${status.unchained} older entries predate the chain` : "";
  if (status.ok) {
    return <p className="chain ok" data-testid="chain-status">Chain intact: {status.entries} entries verified{unchained}</p>;
  }
  const where = status.firstBroken === "head" ? "entries were removed from the end" : `first broken entry ${status.firstBroken}`;
  return (
    <p className="chain broken" role="alert" data-testid="chain-status">
      Chain broken: {where} ({status.entries} entries checked)
    </p>
  );
}

export function AuditLogsPage() {
  const [filters, setFilters] = useState<AuditFilters>({});
  // A change of filters starts again at the newest page.
  const paged = usePagedQuery(
    "audit",
    filters,
    JSON.stringify([filters.incident_id, filters.action, filters.actor, filters.since]),
    (f: AuditFilters, cursor) => api.auditLogs(f, PAGE_SIZE, cursor),
    (p: Page<AuditLogRow>) => p.nextCursor,
  );
  const page = paged.query;
  // Verifying reads the whole log: on opening the page and on request, not on a timer.
  const chain = useQuery({ queryKey: ["audit-verify"], queryFn: api.verifyAudit, staleTime: Infinity });
  const setFilter = (name: keyof AuditFilters, value: string) => {
    setFilters((current) => ({ ...current, [name]: value || undefined }));
  };
  const rows = page.data?.items ?? [];
  return (
    <div className="page">
      <h1>Audit Logs</h1>
      <section aria-label="Chain status" className="row">
        {chain.isPending && <Loading what="chain status" />}
        {chain.isError && <ErrorState error={chain.error} />}
        {chain.data && <ChainBadge status={chain.data} />}
        <button type="button" onClick={() => chain.refetch()} disabled={chain.isFetching}>
          {chain.isFetching ? "Verifying…" : "Verify chain"}
        </button>
      </section>
      <div className="row filters">
        <label>
          Incident
          <input name="incident_id" value={filters.incident_id ?? ""} onChange={(e) => setFilter("incident_id", e.target.value)} />
        </label>
        <label>
          Action
          <input name="action" value={filters.action ?? ""} onChange={(e) => setFilter("action", e.target.value)} />
        </label>
        <label>
          Actor
          <input name="actor" value={filters.actor ?? ""} onChange={(e) => setFilter("actor", e.target.value)} />
        </label>
        <label>
          Since
          <input
            name="since"
            type="datetime-local"
            onChange={(e) => setFilter("since", e.target.value ? new Date(e.target.value).toISOString() : "")}
          />
        </label>
        <ExportCsvButton
          filename={() => `audit_logs_${new Date().toISOString().slice(0, 10)}.csv`}
          build={async () => auditToCsv(await api.allAuditLogs(filters))}
        />
      </div>
      {page.isPending && <Loading what="audit entries" />}
      {page.isError && <ErrorState error={page.error} />}
      {page.data && !rows.length && <Empty>No audit entries match.</Empty>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>#</th>
              <th>Time</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Incident</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-testid="audit-row">
                <td title={row.hash ?? "not chained"}>{row.seq ?? "—"}</td>
                <td>{new Date(row.time).toLocaleString()}</td>
                <td>{row.agent}<div className="muted">{row.actor_kind}</div></td>
                <td>{row.action}</td>
                <td>{row.target}</td>
                <td><Badge value={row.status} /></td>
                <td>{row.reason}</td>
                <td>{row.incident_id ? <Link to={`/incidents/${row.incident_id}`}>{row.incident_id}</Link> : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager paged={paged} />
    </div>
  );
}

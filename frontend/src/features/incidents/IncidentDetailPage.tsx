import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../../api/client";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";
import { IncidentActions } from "./IncidentActions";
import { IncidentGraph } from "./IncidentGraph";

export function IncidentDetailPage() {
  const { id = "" } = useParams();
  const client = useQueryClient();
  const incident = useQuery({ queryKey: ["incident", id], queryFn: () => api.incident(id), refetchInterval: 5000 });
  const [reason, setReason] = useState("");
  const change = useMutation({
    mutationFn: (action: "acknowledge" | "resolve") => (action === "acknowledge" ? api.acknowledge : api.resolve)(id, reason),
    onSuccess: () => {
      setReason("");
      void client.invalidateQueries({ queryKey: ["incident", id] });
    },
  });
  if (incident.isPending) return <Loading what="incident" />;
  if (incident.isError) return <ErrorState error={incident.error} />;
  const data = incident.data;
  return (
    <div className="page">
      <p><Link to="/incidents">← Incidents</Link></p>
      <h1>{data.title}</h1>
      <p>
        <Badge value={data.severity} /> <Badge value={data.status} /> {data.id} · {data.tenant} · created{" "}
        {new Date(data.createdAt).toLocaleString()}
      </p>
      <section aria-label="Root cause">
        <h2>Root cause</h2>
        <p data-testid="root-cause">
          {data.rootCauseService ?? "unknown service"} on {data.rootCauseHost ?? "unknown host"}
          {data.confidence !== null && ` (confidence ${(100 * data.confidence).toFixed(0)} %)`}
        </p>
        <p className="muted">{data.rootCause}</p>
      </section>
      <IncidentGraph incident={data} />
      {data.status !== "resolved" && (
        <form className="row" onSubmit={(e) => e.preventDefault()}>
          <label>
            Reason
            <input value={reason} onChange={(e) => setReason(e.target.value)} name="reason" required />
          </label>
          {data.status === "open" && (
            <button type="button" disabled={!reason.trim()} onClick={() => change.mutate("acknowledge")}>Acknowledge</button>
          )}
          <button type="button" disabled={!reason.trim()} onClick={() => change.mutate("resolve")}>Resolve</button>
          {change.error && <span className="error">{(change.error as Error).message}</span>}
        </form>
      )}
      <div className="columns">
        <section aria-label="Timeline">
          <h2>Timeline</h2>
          <ol className="timeline">
            {data.timeline.map((entry, n) => (
              <li key={n}><time>{new Date(entry.time).toLocaleTimeString()}</time> {entry.event}</li>
            ))}
          </ol>
        </section>
        <section aria-label="Correlated alerts">
          <h2>Correlated alerts ({data.correlated_alerts.length})</h2>
          <p>
            <Link to={`/alerts?incident_id=${encodeURIComponent(data.id)}`} data-testid="incident-alerts-link">
              All alerts of this incident →
            </Link>
          </p>
          {!data.correlated_alerts.length && <Empty>No alerts stored.</Empty>}
          <ul className="plain">
            {data.correlated_alerts.map((alert) => (
              <li key={alert.fingerprint}>
                <Badge value={alert.status} /> <b>{alert.labels.alertname}</b> {alert.labels.service ?? ""}{" "}
                {alert.labels.instance ?? ""} <span className="muted">×{alert.count}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <IncidentActions incidentId={data.id} />
      <section aria-label="Why trace">
        <h2>Why these alerts belong together</h2>
        <table className="table">
          <thead>
            <tr><th>Alert</th><th>Decision</th><th>Score</th><th>Topology</th><th>Time</th><th>Evidence</th></tr>
          </thead>
          <tbody>
            {data.why_trace.decisions.map((decision, n) => (
              <tr key={n}>
                <td>{String(decision.alertname ?? decision.alert ?? "")}</td>
                <td>{String(decision.decision ?? "")}</td>
                <td>{decision.score === undefined ? "—" : String(decision.score)}</td>
                <td>{decision.topology === undefined ? "—" : String(decision.topology)}</td>
                <td>{decision.time === undefined ? "—" : String(decision.time)}</td>
                <td>{String(decision.why ?? decision.via ?? decision.incident ?? "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Audit">
        <h2>Audit</h2>
        {!data.audit_logs.length && <Empty>No operator actions yet.</Empty>}
        <ul className="plain">
          {data.audit_logs.map((entry) => (
            <li key={entry.id}>{new Date(entry.time).toLocaleString()} {entry.agent}: {entry.action} — {entry.description}</li>
          ))}
        </ul>
      </section>
    </div>
  );
}

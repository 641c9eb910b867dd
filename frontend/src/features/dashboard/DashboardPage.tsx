import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../../api/client";
import type { IncidentSummary, Metrics } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const CARDS: { key: keyof Metrics; label: string; unit: string; explains: string }[] = [
  { key: "alertsReduced", label: "Alerts reduced", unit: "%",
    explains: "Share of distinct alerts in the last 24 h that joined an existing incident instead of opening one." },
  { key: "activeIncidents", label: "Active incidents", unit: "",
    explains: "Incidents that are open, acknowledged or being mitigated." },
  { key: "upcomingRisks", label: "Upcoming risks", unit: "",
    explains: "Open predictions of a resource crossing its threshold." },
  { key: "mttrReduction", label: "MTTR reduction", unit: "%",
    explains: "Mean time to resolve against a stated baseline, once remediation outcomes are recorded." },
  { key: "tasksAutomated", label: "Tasks automated", unit: "",
    explains: "Remediation actions executed successfully by TaskOps." },
  { key: "patchesPending", label: "Patches pending", unit: "",
    explains: "Patch roll-outs waiting or in progress." },
];

/** Buckets incidents by creation time: incidents opened and alerts they hold, per bucket. */
export function alertRate(incidents: IncidentSummary[], buckets = 12): { label: string; alerts: number; incidents: number }[] {
  if (!incidents.length) return [];
  const times = incidents.map((i) => Date.parse(i.createdAt));
  const start = Math.min(...times);
  const end = Math.max(...times) + 1;
  const width = (end - start) / buckets;
  const rows = Array.from({ length: buckets }, (_, n) => ({
    label: new Date(start + n * width).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    alerts: 0,
    incidents: 0,
  }));
  incidents.forEach((incident, n) => {
    const row = rows[Math.min(buckets - 1, Math.floor((times[n] - start) / width))];
    row.incidents += 1;
    row.alerts += incident.alerts;
  });
  return rows;
}

function RateChart({ incidents }: { incidents: IncidentSummary[] }) {
  const rows = alertRate(incidents);
  if (!rows.length) return <Empty>No incidents yet.</Empty>;
  const max = Math.max(...rows.map((r) => r.alerts), 1);
  const barWidth = 100 / rows.length;
  return (
    <figure>
      <svg viewBox="0 0 100 40" role="img" aria-label="Alerts and incidents over time" className="chart">
        {rows.map((row, n) => (
          <g key={n}>
            <rect x={n * barWidth + 0.5} y={40 - (36 * row.alerts) / max} width={barWidth / 2 - 0.5}
              height={(36 * row.alerts) / max} className="bar-alerts"><title>{`${row.label}: ${row.alerts} alerts`}</title></rect>
            <rect x={n * barWidth + barWidth / 2} y={40 - (36 * row.incidents) / max} width={barWidth / 2 - 0.5}
              height={(36 * row.incidents) / max} className="bar-incidents"><title>{`${row.label}: ${row.incidents} incidents`}</title></rect>
          </g>
        ))}
      </svg>
      <figcaption>
        <span className="key-alerts">■</span> alerts <span className="key-incidents">■</span> incidents (last{" "}
        {incidents.length} incidents, by creation time)
      </figcaption>
    </figure>
  );
}

export function DashboardPage() {
  const metrics = useQuery({ queryKey: ["metrics"], queryFn: api.metrics, refetchInterval: 3000 });
  const agents = useQuery({ queryKey: ["agents"], queryFn: api.agents, refetchInterval: 5000 });
  const latest = useQuery({ queryKey: ["incidents", "latest"], queryFn: () => api.incidents({}, 200), refetchInterval: 3000 });
  return (
    <div className="page">
      <h1>Dashboard</h1>
      <section className="cards" aria-label="Key figures">
        {metrics.isPending && <Loading what="figures" />}
        {metrics.isError && <ErrorState error={metrics.error} />}
        {metrics.data &&
          CARDS.map((card) => {
            const value = metrics.data[card.key];
            return (
              <article className="card" key={card.key} data-testid={`kpi-${card.key}`}>
                <h2>{card.label}</h2>
                <p className="figure">{value === null ? "not enough data yet" : `${value}${card.unit}`}</p>
                <p className="muted">{card.explains}</p>
              </article>
            );
          })}
      </section>
      <div className="columns">
        <section aria-label="Agents">
          <h2>Agents</h2>
          {agents.isPending && <Loading what="agents" />}
          {agents.isError && <ErrorState error={agents.error} />}
          {agents.data && !agents.data.length && <Empty>No agents running.</Empty>}
          <ul className="plain">
            {agents.data?.map((agent) => (
              <li key={agent.name}>
                <b>{agent.name}</b> <Badge value={agent.status} /> {agent.actions} actions, last {agent.lastAction}
              </li>
            ))}
          </ul>
        </section>
        <section aria-label="Alert rate">
          <h2>Alerts vs incidents</h2>
          {latest.isPending && <Loading what="incidents" />}
          {latest.isError && <ErrorState error={latest.error} />}
          {latest.data && <RateChart incidents={latest.data.items} />}
        </section>
      </div>
      <section aria-label="Latest incidents">
        <h2>Latest incidents</h2>
        {latest.data && !latest.data.items.length && <Empty>No incidents yet.</Empty>}
        <ul className="plain">
          {latest.data?.items.slice(0, 8).map((incident) => (
            <li key={incident.id}>
              <Badge value={incident.severity} /> <Link to={`/incidents/${incident.id}`}>{incident.title}</Link>{" "}
              <span className="muted">{incident.tenant} · {incident.status}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

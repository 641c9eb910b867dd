import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type PatchCommand } from "../../api/client";
import type { HealthCheck, PatchPlan } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const RUNNING = ["approved", "preflight", "canary", "baking", "wave", "rolling_back"];

function allowed(plan: PatchPlan): PatchCommand[] {
  const out: PatchCommand[] = [];
  if (plan.state === "draft" || (plan.state === "paused" && plan.pause_kind === "approval")) out.push("approve");
  if (RUNNING.includes(plan.state)) out.push("pause");
  if (plan.state === "paused" && plan.pause_kind !== "approval") out.push("resume");
  if (!["rolling_back", "rolled_back", "failed"].includes(plan.state)) out.push("rollback");
  return out;
}

function Chart({ check }: { check: HealthCheck }) {
  const points = check.chart;
  const values = points.flatMap((p) => [p.patched, p.peers]).filter((v): v is number => v !== null);
  if (points.length < 2 || !values.length) return <Empty>Not enough samples to draw.</Empty>;
  const max = Math.max(...values, 1e-9);
  const line = (key: "patched" | "peers") =>
    points
      .map((p, i) => (p[key] === null ? null : `${(100 * i) / (points.length - 1)},${40 - (38 * (p[key] as number)) / max}`))
      .filter(Boolean)
      .join(" ");
  return (
    <figure>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" className="chart" role="img"
        aria-label={`median error rate of patched hosts and unpatched peers, wave ${check.wave}`}>
        <polyline points={line("peers")} className="line-peers" fill="none" />
        <polyline points={line("patched")} className="line-patched" fill="none" />
      </svg>
      <figcaption className="muted">
        Median error rate (%) per sample: <span className="key-patched">patched</span> vs{" "}
        <span className="key-peers">unpatched peers</span>, up to {max.toFixed(2)} %
      </figcaption>
    </figure>
  );
}

function Checks({ plan }: { plan: PatchPlan }) {
  if (!plan.health_checks.length) return <Empty>No health check yet: the first comes after the canary's bake.</Empty>;
  return (
    <>
      {plan.health_checks.map((check, n) => (
        <div key={n} className="check" data-testid="health-check">
          <h3>
            {plan.canary_phases[check.wave]?.name ?? `wave ${check.wave}`} <Badge value={check.verdict} />
          </h3>
          <p>{check.reason}</p>
          {check.anomaly_flags_patched !== null && (
            <p className="muted">
              Anomaly flags in the window: {check.anomaly_flags_patched} on patched hosts, {check.anomaly_flags_peers} on peers
            </p>
          )}
          <Chart check={check} />
          <table className="table compact">
            <thead>
              <tr>
                <th>Host</th><th>Metric</th><th>Patched median</th><th>Peers median</th><th>Own baseline</th>
                <th>p (peers)</th><th>p (baseline)</th><th>n</th><th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {check.comparisons.map((c) => (
                <tr key={`${c.host}/${c.metric}`}>
                  <td>{c.host}</td><td>{c.metric}</td><td>{c.patched_median ?? "—"}</td><td>{c.peers_median ?? "—"}</td>
                  <td>{c.baseline_median ?? "—"}</td><td>{c.p_peers ?? "—"}</td><td>{c.p_baseline ?? "—"}</td>
                  <td>{c.n_patched}/{c.n_peers}/{c.n_baseline}</td><td><Badge value={c.verdict} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

export function PatchDetail({ id }: { id: string }) {
  const client = useQueryClient();
  const plan = useQuery({ queryKey: ["patch", id], queryFn: () => api.patch(id), refetchInterval: 3000 });
  const [reason, setReason] = useState("");
  const command = useMutation({
    mutationFn: (which: PatchCommand) => api.patchCommand(id, which, reason),
    onSuccess: () => {
      setReason("");
      void client.invalidateQueries({ queryKey: ["patch", id] });
      void client.invalidateQueries({ queryKey: ["patches"] });
    },
  });
  if (plan.isPending) return <Loading what="patch plan" />;
  if (plan.isError) return <ErrorState error={plan.error} />;
  const data = plan.data;
  return (
    <section aria-label={`Plan ${data.id}`} className="detail" data-testid="patch-detail">
      <h2>{data.name} <Badge value={data.state} /></h2>
      <p className="muted">
        {data.id} · advisory {data.advisory_id ?? "—"} · {data.systems} hosts · canary {data.canary_size} · approved by{" "}
        {data.approved_by ?? "nobody yet"}
      </p>
      {data.pause_reason && <p className="banner" role="status">Paused: {data.pause_reason}</p>}
      <form className="row" onSubmit={(e) => e.preventDefault()} aria-label="Plan controls">
        <label>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} name="reason" />
        </label>
        {allowed(data).map((which) => (
          <button key={which} type="button" onClick={() => command.mutate(which)} disabled={command.isPending}>
            {which === "rollback" ? "Roll back" : which[0].toUpperCase() + which.slice(1)}
          </button>
        ))}
        {command.error && <span className="error" role="alert">{(command.error as Error).message}</span>}
      </form>
      <h3>Phases</h3>
      <ol className="plain">
        {data.canary_phases.map((phase) => (
          <li key={phase.wave}>
            <Badge value={phase.status} /> {phase.name}: {phase.progress} %, bake {Math.round(phase.bake_seconds / 60)} min
            {phase.extended && " (extended once)"}
          </li>
        ))}
      </ol>
      <h3>Hosts</h3>
      <table className="table compact" data-testid="patch-hosts">
        <thead><tr><th>Host</th><th>Tenant</th><th>Wave</th><th>Status</th><th>Rolls back to</th><th>Note</th></tr></thead>
        <tbody>
          {data.affected_hosts.map((h) => (
            <tr key={h.host}>
              <td>{h.host}</td><td>{h.tenant}</td><td>{h.wave === 0 ? "canary" : h.wave}</td>
              <td><Badge value={h.status} /></td><td>{h.rollback_to ?? "—"}</td><td className="muted">{h.note}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Rollback plan: {data.rollback_plan}</p>
      <h3>Health checks</h3>
      <Checks plan={data} />
    </section>
  );
}

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { PatchSummary } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";
import { PatchDetail } from "./PatchDetail";

function Waves({ plan }: { plan: PatchSummary }) {
  return (
    <span className="waves" aria-label={`waves of ${plan.name}`}>
      {plan.canary_phases.map((phase) => (
        <span key={phase.wave} className={`wave wave-${phase.status}`} title={`${phase.name}: ${phase.status}, ${phase.progress} %`}>
          <span className="wave-fill" style={{ width: `${phase.progress}%` }} />
        </span>
      ))}
    </span>
  );
}

function NewPlan() {
  const client = useQueryClient();
  const advisories = useQuery({ queryKey: ["advisories"], queryFn: api.advisories, refetchInterval: 10_000 });
  const [advisory, setAdvisory] = useState("");
  const create = useMutation({
    mutationFn: () => api.createPatch(advisory),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["patches"] }),
  });
  if (!advisories.data?.length) return null;
  return (
    <form className="row" onSubmit={(e) => { e.preventDefault(); create.mutate(); }} aria-label="Plan a roll-out">
      <label>
        Advisory
        <select value={advisory} onChange={(e) => setAdvisory(e.target.value)} name="advisory" required>
          <option value="">choose…</option>
          {advisories.data.map((a) => (
            <option key={a.id} value={a.id}>{a.id}: {a.package} {a.fixed_version} (CVSS {a.cvss})</option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={!advisory || create.isPending}>Plan roll-out</button>
      {create.error && <span className="error" role="alert">{(create.error as Error).message}</span>}
    </form>
  );
}

export function PatchesPage() {
  const plans = useQuery({ queryKey: ["patches"], queryFn: api.patches, refetchInterval: 3000 });
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="page">
      <h1>Patch Management</h1>
      <p className="muted">
        Roll-outs from advisories: a canary, then waves, each baked and judged against unpatched peers before the next;
        a failed check rolls the patched hosts back.
      </p>
      <NewPlan />
      {plans.isPending && <Loading what="patch plans" />}
      {plans.isError && <ErrorState error={plans.error} />}
      {plans.data && !plans.data.length && <Empty>No patch plans yet: they appear when advisories are published.</Empty>}
      {plans.data && plans.data.length > 0 && (
        <table className="table" data-testid="patch-plans">
          <thead>
            <tr>
              <th>Plan</th><th>Advisory</th><th>State</th><th>Hosts</th><th>Canary</th><th>Waves</th><th>Progress</th>
            </tr>
          </thead>
          <tbody>
            {plans.data.map((plan) => (
              <tr key={plan.id} className={plan.id === selected ? "selected" : undefined}>
                <td>
                  <button type="button" className="link" onClick={() => setSelected(plan.id)}>{plan.name}</button>
                  <div className="muted">{plan.id}</div>
                </td>
                <td>{plan.advisory_id ?? "—"} <Badge value={plan.severity} /></td>
                <td><Badge value={plan.state} />{plan.pause_reason && <div className="muted">{plan.pause_reason}</div>}</td>
                <td>{plan.systems}</td>
                <td>{plan.canary_size}</td>
                <td><Waves plan={plan} /></td>
                <td>{plan.progress} %</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <PatchDetail id={selected} />}
    </div>
  );
}

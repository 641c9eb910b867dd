import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";

export function SimulationControl() {
  const client = useQueryClient();
  const status = useQuery({ queryKey: ["simulation"], queryFn: api.simulation, refetchInterval: 2000 });
  const toggle = useMutation({
    mutationFn: (running: boolean) => (running ? api.stopSimulation() : api.startSimulation()),
    onSettled: () => client.invalidateQueries({ queryKey: ["simulation"] }),
  });
  const data = status.data;
  return (
    <section className="simulation" aria-label="Simulation">
      <h2>Simulation</h2>
      {data ? (
        <>
          <p data-testid="simulation-state">{data.running ? "Running" : "Stopped"}</p>
          <dl>
            <dt>Sim time</dt>
            <dd>{new Date(data.sim_time).toLocaleString()}</dd>
            <dt>Speed</dt>
            <dd>{data.speed}×</dd>
            <dt>Alerts emitted</dt>
            <dd>{data.alerts_emitted ?? "—"}</dd>
            <dt>Active faults</dt>
            <dd>{data.active_faults ?? "—"}</dd>
          </dl>
          <button type="button" onClick={() => toggle.mutate(data.running)} disabled={toggle.isPending}>
            {data.running ? "Stop simulation" : "Start simulation"}
          </button>
        </>
      ) : (
        <p className="muted">…</p>
      )}
    </section>
  );
}

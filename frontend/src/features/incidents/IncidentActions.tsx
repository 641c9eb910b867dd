import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import type { ExecutedAction } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

function outcome(action: ExecutedAction): string {
  if (action.state === "blocked") return `blocked by ${action.blocked_by ?? "a guardrail"}`;
  if (action.verified === true) return `verified: ${action.verification ?? ""}`;
  if (action.verified === false) return `verification failed: ${action.verification ?? ""}`;
  return action.verification ?? action.result?.message ?? "";
}

/** The actions taken (or refused) on one incident, each with every guardrail decision in order. */
export function IncidentActions({ incidentId }: { incidentId: string }) {
  const actions = useQuery({
    queryKey: ["incident-actions", incidentId],
    queryFn: () => api.incidentActions(incidentId),
    refetchInterval: 5000,
  });
  return (
    <section aria-label="Actions">
      <h2>Actions</h2>
      {actions.isPending && <Loading what="actions" />}
      {actions.isError && <ErrorState error={actions.error} />}
      {actions.data && !actions.data.items.length && <Empty>No action was requested for this incident.</Empty>}
      {actions.data?.items.map((action) => (
        <article key={action.id} className="card" data-testid="incident-action">
          <p>
            <b>{action.request.action}</b> on {action.request.target} <Badge value={action.state} />{" "}
            <span className="muted">
              {action.id} · {action.request.requested_by} · {new Date(action.created_at).toLocaleString()}
              {action.request.confidence !== null && ` · confidence ${(100 * action.request.confidence).toFixed(0)} %`}
              {action.attempts > 0 && ` · ${action.attempts} attempt${action.attempts > 1 ? "s" : ""}`}
            </span>
          </p>
          <p className="muted">{action.request.reason}</p>
          <p data-testid="action-outcome">{outcome(action)}</p>
          <table className="table" aria-label={`Guardrail decisions of ${action.id}`}>
            <thead>
              <tr><th>Rule</th><th>Verdict</th><th>Reason</th></tr>
            </thead>
            <tbody>
              {action.decisions.map((decision, n) => (
                <tr key={n} data-testid="guard-decision">
                  <td>{decision.rule}</td>
                  <td>{decision.allowed ? "allowed" : "refused"}</td>
                  <td>{decision.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}

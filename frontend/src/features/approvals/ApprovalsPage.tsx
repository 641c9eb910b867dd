import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import type { Approval, ApprovalState } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const STATES: ApprovalState[] = ["pending", "approved", "rejected", "expired"];

function Decide({ approval }: { approval: Approval }) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const decide = useMutation({
    mutationFn: (approve: boolean) => api.decideApproval(approval.id, approve, reason.trim()),
    onSuccess: () => client.invalidateQueries({ queryKey: ["approvals"] }),
  });
  return (
    <form className="row" onSubmit={(event) => event.preventDefault()}>
      <label>
        Reason
        <input required value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
      </label>
      <button type="button" className="primary" disabled={!reason.trim() || decide.isPending} onClick={() => decide.mutate(true)}>
        Approve
      </button>
      <button type="button" className="danger" disabled={!reason.trim() || decide.isPending} onClick={() => decide.mutate(false)}>
        Reject
      </button>
      {decide.isError && <ErrorState error={decide.error} />}
    </form>
  );
}

export function ApprovalsPage() {
  const [state, setState] = useState<ApprovalState | "">("pending");
  const approvals = useQuery({
    queryKey: ["approvals", state],
    queryFn: () => api.approvals(state || undefined, 200),
    refetchInterval: 3000,
  });
  const rows = approvals.data?.items ?? [];
  return (
    <div className="page">
      <h1>Approvals</h1>
      <div className="row filters">
        <label>
          State
          <select name="state" value={state} onChange={(e) => setState(e.target.value as ApprovalState | "")}>
            <option value="">any</option>
            {STATES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
      </div>
      {approvals.isPending && <Loading what="approvals" />}
      {approvals.isError && <ErrorState error={approvals.error} />}
      {approvals.data && !rows.length && <Empty>{state === "pending" ? "Nothing waits for approval." : "No approvals match."}</Empty>}
      {rows.length > 0 && (
        <ul className="cards">
          {rows.map((approval) => (
            <li key={approval.id} data-testid="approval" aria-label={approval.summary} className="card">
              <div className="row">
                <strong>{approval.summary}</strong>
                <Badge value={approval.state} />
                {approval.risk && <Badge value={approval.risk.toLowerCase()} />}
              </div>
              <p className="muted">
                Action {approval.action_id} requested by {approval.requested_by} at{" "}
                {new Date(approval.requested_at).toLocaleString()}
                {approval.tenant && <> for {approval.tenant}</>}
                {approval.incident_id && <> (<Link to={`/incidents/${approval.incident_id}`}>{approval.incident_id}</Link>)</>}
                {approval.state === "pending" && <>; expires {new Date(approval.expires_at).toLocaleString()}</>}
              </p>
              {approval.state === "pending" ? (
                <Decide approval={approval} />
              ) : (
                <p data-testid="decision">
                  {approval.state} by {approval.decided_by}
                  {approval.decided_at && <> at {new Date(approval.decided_at).toLocaleString()}</>}: {approval.reason}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

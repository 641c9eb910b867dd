import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import type { LearnedEdge } from "../../api/types";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const ServiceGraph = lazy(() => import("./ServiceGraph"));

export function TopologyPage() {
  const { tenant = "" } = useParams();
  const navigate = useNavigate();
  const [draft, setDraft] = useState(tenant);
  return (
    <div className="page">
      <h1>Topology</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); if (draft.trim()) navigate(`/topology/${encodeURIComponent(draft.trim())}`); }}>
        <label>
          Tenant
          <input name="tenant" value={draft} onChange={(e) => setDraft(e.target.value)} required />
        </label>
        <button type="submit">Show</button>
      </form>
      {tenant ? <TenantTopologyView tenant={tenant} /> : <Empty>Choose a tenant to see its pushed and learned service graph.</Empty>}
    </div>
  );
}

function TenantTopologyView({ tenant }: { tenant: string }) {
  const client = useQueryClient();
  const topology = useQuery({ queryKey: ["topology", tenant], queryFn: () => api.topology(tenant), refetchInterval: 10_000 });
  const [reason, setReason] = useState("");
  const decide = useMutation({
    mutationFn: ({ edge, decision }: { edge: LearnedEdge; decision: "confirm" | "reject" }) =>
      api.decideEdge(tenant, decision, edge, reason),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["topology", tenant] }),
  });
  if (topology.isPending) return <Loading what="topology" />;
  if (topology.isError) return <ErrorState error={topology.error} />;
  const data = topology.data;
  return (
    <>
      <p>
        {data.pushed ? `${data.services.length} services and ${data.dependencies.length} calls pushed` : "No topology pushed"}
        {" · "}{data.learnedEdges.length} edges learned from alerts{data.pushed && " (the pushed graph wins in correlation)"}
      </p>
      <Suspense fallback={<Loading what="graph" />}>
        <ServiceGraph topology={data} />
      </Suspense>
      <section aria-label="Learned edges">
        <h2>Learned edges</h2>
        {data.learnedEdges.length === 0 ? (
          <Empty>Nothing learned yet: services that fail together will show here.</Empty>
        ) : (
          <>
            <label>
              Reason for a decision
              <input name="edge-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            {decide.error && <span className="error">{(decide.error as Error).message}</span>}
            <table>
              <thead>
                <tr><th>Caller → callee</th><th>Confidence</th><th>Seen</th><th>Mean delay</th><th>Last seen</th><th>Decision</th><th /></tr>
              </thead>
              <tbody>
                {data.learnedEdges.map((edge) => (
                  <tr key={`${edge.caller}->${edge.callee}`} data-testid="learned-edge">
                    <td>{edge.caller} → {edge.callee}</td>
                    <td>{(100 * edge.confidence).toFixed(0)} %</td>
                    <td>{edge.count} × ({edge.reverseCount} × reversed)</td>
                    <td>{edge.meanDelaySeconds === null ? "–" : `${edge.meanDelaySeconds.toFixed(0)} s`}</td>
                    <td>{edge.lastSeen ? new Date(edge.lastSeen).toLocaleString() : "–"}</td>
                    <td data-testid="edge-decision">{edge.decision ?? "none"}</td>
                    <td>
                      <button type="button" disabled={!reason.trim() || decide.isPending} onClick={() => decide.mutate({ edge, decision: "confirm" })}>Confirm</button>{" "}
                      <button type="button" disabled={!reason.trim() || decide.isPending} onClick={() => decide.mutate({ edge, decision: "reject" })}>Reject</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </>
  );
}

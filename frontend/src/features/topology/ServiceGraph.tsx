import dagre from "@dagrejs/dagre";
import { Background, type Edge, MarkerType, type Node, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { TenantTopology } from "../../api/types";

const WIDTH = 170;
const HEIGHT = 44;

export interface GraphFocus {
  /** Services to draw with their direct neighbours (all services when absent). */
  services?: string[];
  root?: string | null;
  /** Alerts per service, from the incident's correlated alerts. */
  alerts?: Record<string, number>;
}

/** Which services and edges to draw: pushed calls solid, learned ones dashed (rejected ones left out). */
export function graphElements(topology: TenantTopology, focus: GraphFocus = {}): { nodes: Node[]; edges: Edge[] } {
  const pushed = topology.dependencies.map(([caller, callee]) => ({ caller, callee, learned: false, label: "" }));
  const learned = topology.learnedEdges
    .filter((e) => e.decision !== "rejected")
    .map((e) => ({ caller: e.caller, callee: e.callee, learned: true, label: `${Math.round(100 * e.confidence)} %` }));
  const all = [...pushed, ...learned.filter((l) => !pushed.some((p) => p.caller === l.caller && p.callee === l.callee))];
  const wanted = new Set(focus.services ?? [...topology.services.map((s) => s.name), ...all.flatMap((e) => [e.caller, e.callee])]);
  const seeds = new Set(wanted);
  const kept = all.filter((e) => seeds.has(e.caller) || seeds.has(e.callee));
  for (const e of kept) wanted.add(e.caller).add(e.callee);
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 50 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const name of wanted) layout.setNode(name, { width: WIDTH, height: HEIGHT });
  for (const e of kept) layout.setEdge(e.caller, e.callee);
  dagre.layout(layout);
  const nodes: Node[] = [...wanted].map((name) => {
    const at = layout.node(name);
    const count = focus.alerts?.[name] ?? 0;
    const kind = name === focus.root ? "root" : count > 0 ? "symptom" : focus.alerts ? "silent" : "service";
    return {
      id: name,
      position: { x: at.x - WIDTH / 2, y: at.y - HEIGHT / 2 },
      data: { label: focus.alerts ? `${name} · ${count} alert${count === 1 ? "" : "s"}` : name },
      className: `graph-node graph-node-${kind}`,
      style: { width: WIDTH },
    };
  });
  const edges: Edge[] = kept.map((e) => ({
    id: `${e.learned ? "learned" : "pushed"}:${e.caller}->${e.callee}`,
    source: e.caller,
    target: e.callee,
    label: e.label || undefined,
    className: e.learned ? "graph-edge-learned" : "graph-edge-pushed",
    style: e.learned ? { strokeDasharray: "6 4" } : undefined,
    markerEnd: { type: MarkerType.ArrowClosed },
  }));
  return { nodes, edges };
}

/** The tenant's service graph laid out by dagre, callers above callees. */
export default function ServiceGraph({ topology, focus }: { topology: TenantTopology; focus?: GraphFocus }) {
  const { nodes, edges } = graphElements(topology, focus);
  if (nodes.length === 0) return <p className="state empty">No services known for this tenant yet.</p>;
  return (
    <div className="service-graph" data-testid="service-graph">
      <ReactFlow nodes={nodes} edges={edges} fitView nodesConnectable={false} nodesDraggable={false} proOptions={{ hideAttribution: true }}>
        <Background />
      </ReactFlow>
      <p className="muted legend">Solid: pushed calls · dashed: learned from alerts (confidence) · caller above callee</p>
    </div>
  );
}

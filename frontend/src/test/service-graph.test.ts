import { describe, expect, it } from "vitest";
import type { TenantTopology } from "../api/types";
import { graphElements } from "../features/topology/ServiceGraph";

const edge = (caller: string, callee: string, decision: "confirmed" | "rejected" | null = null) => ({
  caller, callee, confidence: 0.8, count: 4, reverseCount: 0, meanDelaySeconds: 60, lastSeen: null, decision,
});

const topology: TenantTopology = {
  tenant: "acme",
  services: [{ name: "web", hosts: [], site: null }, { name: "api", hosts: [], site: null }, { name: "db", hosts: [], site: null }],
  dependencies: [["web", "api"]],
  pushed: true,
  learnedEdges: [edge("api", "db"), edge("web", "api"), edge("cache", "db", "rejected")],
};

describe("graphElements", () => {
  it("draws pushed calls solid and learned ones dashed, never a rejected one, and a pushed edge once", () => {
    const { nodes, edges } = graphElements(topology);
    expect(edges.map((e) => e.id).sort()).toEqual(["learned:api->db", "pushed:web->api"]);
    expect(edges.find((e) => e.id === "learned:api->db")?.style).toEqual({ strokeDasharray: "6 4" });
    expect(edges.find((e) => e.id === "pushed:web->api")?.style).toBeUndefined();
    expect(nodes.map((n) => n.id).sort()).toEqual(["api", "db", "web"]);
    const web = nodes.find((n) => n.id === "web")!;
    const api = nodes.find((n) => n.id === "api")!;
    expect(web.position.y).toBeLessThan(api.position.y); // callers above callees
  });

  it("around an incident: its services, their neighbours, the root, and neighbours without alerts as silent", () => {
    const { nodes } = graphElements(topology, { services: ["db"], root: "db", alerts: { db: 2 } });
    expect(nodes.map((n) => n.id).sort()).toEqual(["api", "db"]);
    expect(nodes.find((n) => n.id === "db")?.className).toContain("graph-node-root");
    expect(nodes.find((n) => n.id === "db")?.data.label).toBe("db · 2 alerts");
    expect(nodes.find((n) => n.id === "api")?.className).toContain("graph-node-silent");
  });
});

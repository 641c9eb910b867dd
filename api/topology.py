"""Topology: each tenant's service graph as pushed to AlertOps and as learned from its alerts (an operator confirms
or rejects a learned edge), and the simulated fleet's services and calls."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from agents.alert_ops import AlertOps
from agents.alert_ops.learned_topology import LearnedEdge
from api.deps import AlertOpsDep, Authorized, WorldDep
from data.errors import NotFound
from data.models import ServiceIn, TenantName, TopologyIn

router = APIRouter(prefix="/api", tags=["topology"])


class ServiceOut(BaseModel):
    name: str
    role: str
    hosts: list[str]
    sites: list[str]


class TenantTopologyOut(BaseModel):
    tenant: str
    services: list[ServiceOut]
    dependencies: list[tuple[str, str]] = Field(description="[caller, callee] pairs")


class TopologyOut(BaseModel):
    tenants: list[TenantTopologyOut]


class LearnedEdgeOut(BaseModel):
    caller: str = Field(description="the service whose alerts usually come later (where symptoms show)")
    callee: str = Field(description="the service whose alerts usually come first (the likely cause)")
    confidence: float = Field(
        description="share of the pair's episodes together beyond chance (1 confirmed, 0 rejected)"
    )
    count: int = Field(description="times the callee's alerts came first and the caller's followed within the window")
    reverseCount: int = Field(description="times they came in the other order")
    meanDelaySeconds: float | None
    lastSeen: datetime | None
    decision: Literal["confirmed", "rejected"] | None = Field(description="an operator's decision, if any")


class TopologyRead(BaseModel):
    """A tenant's pushed graph (``services``, ``dependencies``; empty when none was pushed) and, separately, the
    edges learned from its alerts, which correlation uses only while no graph is pushed."""

    tenant: str
    services: list[ServiceIn]
    dependencies: list[tuple[str, str]] = Field(description="pushed [caller, callee] pairs")
    pushed: bool = Field(description="whether a graph was pushed; a pushed graph always wins over learned edges")
    learnedEdges: list[LearnedEdgeOut]


class EdgeDecisionIn(BaseModel):
    caller: str = Field(min_length=1, max_length=200)
    callee: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    actor: str = Field(default="api", min_length=1, max_length=100)


def edge_out(edge: LearnedEdge) -> LearnedEdgeOut:
    return LearnedEdgeOut(
        caller=edge.caller, callee=edge.callee, confidence=edge.confidence, count=edge.count,
        reverseCount=edge.reverse_count, meanDelaySeconds=edge.mean_delay_s, lastSeen=edge.last_seen,
        decision=edge.decision,
    )  # fmt: skip


def topology_read(engine: AlertOps, tenant: str) -> TopologyRead:
    """Return the tenant's pushed and learned graph; raise `NotFound` when it has neither."""
    pushed = engine.topology.snapshot(tenant)
    learned = engine.learned_edges(tenant)
    if pushed is None and not learned:
        raise NotFound(f"no topology for tenant {tenant}")
    return TopologyRead(
        tenant=tenant, services=pushed.services if pushed else [], dependencies=pushed.dependencies if pushed else [],
        pushed=pushed is not None, learnedEdges=[edge_out(e) for e in learned],
    )  # fmt: skip


@router.put("/topology", response_model=TopologyRead, dependencies=[Authorized])
def put_topology(body: TopologyIn, engine: AlertOpsDep) -> TopologyRead:
    """Replace one tenant's service graph (``[a, b]`` = a calls b); other tenants are untouched."""
    engine.set_topology(body)
    return topology_read(engine, body.tenant)


@router.get("/topology/{tenant}", response_model=TopologyRead)
def get_topology(tenant: TenantName, engine: AlertOpsDep) -> TopologyRead:
    return topology_read(engine, tenant)


@router.post("/topology/{tenant}/edges/confirm", response_model=LearnedEdgeOut, dependencies=[Authorized])
def confirm_edge(tenant: TenantName, body: EdgeDecisionIn, engine: AlertOpsDep) -> LearnedEdgeOut:
    """Confirm a learned edge: correlation treats it as a call (one hop) from now on (audited)."""
    edge = engine.decide_edge(tenant, body.caller, body.callee, confirmed=True, reason=body.reason, actor=body.actor)
    return edge_out(edge)


@router.post("/topology/{tenant}/edges/reject", response_model=LearnedEdgeOut, dependencies=[Authorized])
def reject_edge(tenant: TenantName, body: EdgeDecisionIn, engine: AlertOpsDep) -> LearnedEdgeOut:
    """Reject a learned edge: correlation never links the two services through it again (audited)."""
    edge = engine.decide_edge(tenant, body.caller, body.callee, confirmed=False, reason=body.reason, actor=body.actor)
    return edge_out(edge)


@router.get("/fleet/topology", response_model=TopologyOut)
def topology(world: WorldDep) -> TopologyOut:
    """The simulated fleet's services per tenant and which service calls which."""
    fleet = world.fleet
    return TopologyOut(
        tenants=[
            TenantTopologyOut(
                tenant=tenant.name,
                services=[
                    ServiceOut(name=s.name, role=s.role, hosts=list(s.hosts), sites=list(s.sites))
                    for s in fleet.tenant_services(tenant.name)
                ],
                dependencies=fleet.dependencies(tenant.name),
            )
            for tenant in fleet.tenants
        ]
    )

"""Topology: each tenant's service graph as pushed to AlertOps, and the simulated fleet's services and calls."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AlertOpsDep, Authorized, WorldDep
from data.errors import NotFound
from data.models import TenantName, TopologyIn

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


@router.put("/topology", response_model=TopologyIn, dependencies=[Authorized])
def put_topology(body: TopologyIn, engine: AlertOpsDep) -> TopologyIn:
    """Replace one tenant's service graph (``[a, b]`` = a calls b); other tenants are untouched."""
    engine.set_topology(body)
    stored = engine.topology.snapshot(body.tenant)
    assert stored is not None
    return stored


@router.get("/topology/{tenant}", response_model=TopologyIn)
def get_topology(tenant: TenantName, engine: AlertOpsDep) -> TopologyIn:
    stored = engine.topology.snapshot(tenant)
    if stored is None:
        raise NotFound(f"no topology for tenant {tenant}")
    return stored


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

"""The simulated fleet: tenants, sites and hosts with their monitored state, and published advisories."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import WorldDep
from data.advisories import Advisory
from data.sim.fleet_view import fleet_view

router = APIRouter(prefix="/api", tags=["fleet"])


class HostOut(BaseModel):
    name: str
    tenant: str
    site: str
    role: str
    service: str
    os: str
    criticality: str
    packages: dict[str, str]
    state: str = Field(description="down, degraded or healthy, from the alerts firing on the host")
    firing: list[str] = Field(description="alert rules firing on the host at the last evaluation")
    metrics: dict[str, float] = Field(description="last sampled value of each metric (empty before the first tick)")


class SiteOut(BaseModel):
    name: str
    tenant: str
    hosts: int


class TenantOut(BaseModel):
    name: str
    sites: list[str]
    hosts: int


class FleetSummaryOut(BaseModel):
    hosts: int
    healthy: int
    degraded: int
    down: int


class FleetOut(BaseModel):
    tenants: list[TenantOut]
    sites: list[SiteOut]
    hosts: list[HostOut]
    summary: FleetSummaryOut


class AdvisoryListOut(BaseModel):
    items: list[Advisory]


@router.get("/fleet", response_model=FleetOut)
def fleet(world: WorldDep) -> FleetOut:
    view = fleet_view(world)
    hosts = [
        HostOut(
            name=h.host.name, tenant=h.host.tenant, site=h.host.site, role=h.host.role, service=h.host.service,
            os=h.host.os, criticality=h.host.criticality, packages=dict(h.host.packages), state=h.state.state,
            firing=h.state.firing, metrics=h.state.metrics,
        )
        for h in view.hosts
    ]  # fmt: skip
    return FleetOut(
        tenants=[TenantOut(name=t.name, sites=t.sites, hosts=t.hosts) for t in view.tenants],
        sites=[SiteOut(name=s.name, tenant=s.tenant, hosts=s.hosts) for s in view.sites],
        hosts=hosts,
        summary=FleetSummaryOut(hosts=len(hosts), **view.states),
    )


@router.get("/fleet/advisories", response_model=AdvisoryListOut)
def advisories(world: WorldDep) -> AdvisoryListOut:
    return AdvisoryListOut(items=world.advisories.published())

"""Fleet and simulation-scenario endpoints: the simulated fleet, its topology, the scenario catalogue,
fault injection, and the ground truth (for evaluation only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from api.deps import require_token
from data.advisories import Advisory
from data.sim.scenarios import CATALOGUE
from data.sim.truth import AlertTruth, FaultRecord
from data.sim.world import World

router = APIRouter(prefix="/api", tags=["fleet"])


def get_world(request: Request) -> World:
    world: World | None = getattr(request.app.state.simulation, "world", None)
    if world is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no simulated fleet is configured")
    return world


def require_running(request: Request) -> None:
    if not request.app.state.simulation.running:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="the simulation is stopped: start it first")


WorldDep = Annotated[World, Depends(get_world)]


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


class ScenarioOut(BaseModel):
    name: str
    title: str
    severity: str
    root_services: list[str] = Field(description="service kinds the root cause can be on (empty: any host)")
    remedy: str | None
    also_fixes: list[str]
    worsened_by: list[str]
    cascades: bool
    may_self_heal: bool
    random: bool = Field(description="whether the simulator starts it at random (others follow actions)")
    description: str


class ScenarioListOut(BaseModel):
    items: list[ScenarioOut]


class InjectIn(BaseModel):
    tenant: str | None = Field(default=None, max_length=200)
    host: str | None = Field(default=None, max_length=200)


class FaultPage(BaseModel):
    items: list[FaultRecord]
    next_cursor: str | None


class AlertTruthPage(BaseModel):
    items: list[AlertTruth]
    next_cursor: str | None


class AdvisoryListOut(BaseModel):
    items: list[Advisory]


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise HTTPException(422, detail="cursor must come from next_cursor")
    return int(cursor)


@router.get("/fleet", response_model=FleetOut)
def fleet(world: WorldDep) -> FleetOut:
    hosts = []
    for host in world.fleet.hosts:
        state = world.host_state(host.index)
        hosts.append(
            HostOut(
                name=host.name,
                tenant=host.tenant,
                site=host.site,
                role=host.role,
                service=host.service,
                os=host.os,
                criticality=host.criticality,
                packages=dict(host.packages),
                state=state.state,
                firing=state.firing,
                metrics=state.metrics,
            )
        )
    sites = [
        SiteOut(name=s, tenant=t.name, hosts=sum(h.site == s for h in hosts))
        for t in world.fleet.tenants
        for s in t.sites
    ]
    tenants = [
        TenantOut(name=t.name, sites=list(t.sites), hosts=sum(h.tenant == t.name for h in hosts))
        for t in world.fleet.tenants
    ]
    summary = FleetSummaryOut(
        hosts=len(hosts),
        healthy=sum(h.state == "healthy" for h in hosts),
        degraded=sum(h.state == "degraded" for h in hosts),
        down=sum(h.state == "down" for h in hosts),
    )
    return FleetOut(tenants=tenants, sites=sites, hosts=hosts, summary=summary)


@router.get("/fleet/topology", response_model=TopologyOut)
def topology(world: WorldDep) -> TopologyOut:
    out = []
    for tenant in world.fleet.tenants:
        services = [
            ServiceOut(name=s.name, role=s.role, hosts=list(s.hosts), sites=list(s.sites))
            for s in world.fleet.tenant_services(tenant.name)
        ]
        out.append(
            TenantTopologyOut(tenant=tenant.name, services=services, dependencies=world.fleet.dependencies(tenant.name))
        )
    return TopologyOut(tenants=out)


@router.get("/fleet/advisories", response_model=AdvisoryListOut)
def advisories(world: WorldDep) -> AdvisoryListOut:
    return AdvisoryListOut(items=world.advisories.published())


@router.get("/simulation/scenarios", response_model=ScenarioListOut)
def scenarios() -> ScenarioListOut:
    return ScenarioListOut(
        items=[
            ScenarioOut(
                name=s.name,
                title=s.title,
                severity=s.severity.value,
                root_services=list(s.root_services),
                remedy=s.remedy,
                also_fixes=list(s.also_fixes),
                worsened_by=list(s.worsened_by),
                cascades=bool(s.caller_effects),
                may_self_heal=s.self_heal_p > 0,
                random=s.random_weight > 0,
                description=s.description,
            )
            for s in CATALOGUE
        ]
    )


@router.post(
    "/simulation/scenarios/{name}",
    response_model=FaultRecord,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_token)],
    responses={404: {"description": "unknown scenario, tenant or host"}, 409: {"description": "simulation stopped"}},
)
def inject(
    name: str, request: Request, world: WorldDep, body: Annotated[InjectIn | None, Body()] = None
) -> FaultRecord:
    if name not in {s.name for s in CATALOGUE}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown scenario {name!r}")
    require_running(request)
    target = body or InjectIn()
    return world.inject(name, tenant=target.tenant, host=target.host)


@router.get("/simulation/truth", response_model=FaultPage)
def truth(
    world: WorldDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> FaultPage:
    """Faults in start order with their root cause, remedy, end and affected hosts (evaluation only)."""
    offset = _offset(cursor)
    items = world.truth.faults(offset, limit + 1)
    next_cursor = str(offset + limit) if len(items) > limit else None
    return FaultPage(items=items[:limit], next_cursor=next_cursor)


@router.get("/simulation/truth/alerts", response_model=AlertTruthPage)
def truth_alerts(
    world: WorldDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> AlertTruthPage:
    """Alert occurrences in emission order with the fault that caused each (null: noise or hygiene)."""
    offset = _offset(cursor)
    items = world.truth.alerts(offset, limit + 1)
    next_cursor = str(offset + limit) if len(items) > limit else None
    return AlertTruthPage(items=items[:limit], next_cursor=next_cursor)

"""The simulation: start, stop and status (seed paths and field names), the scenario catalogue, fault
injection, and the ground truth (for evaluation only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Body, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import Authorized, SimulationDep, WorldDep
from data.models import TenantName
from data.sim.scenarios import CATALOGUE
from data.sim.truth import AlertTruth, FaultRecord
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["simulation"])

SCENARIO_NAMES = frozenset(s.name for s in CATALOGUE)
T = TypeVar("T")


class SimulationCommandOut(BaseModel):
    status: Literal["started", "already_running", "stopped", "already_stopped"]
    running: bool
    message: str


class SimulationStatusOut(BaseModel):
    running: bool
    sim_time: UtcDatetime
    speed: float
    seed: int
    ticks: int
    active_faults: int | None = Field(default=None, description="faults in progress in the simulated fleet")
    faults_started: int | None = None
    alerts_emitted: int | None = Field(default=None, description="alerts the simulator has sent to the engine")
    storm: bool | None = None


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
    tenant: TenantName | None = None
    host: str | None = Field(default=None, max_length=200)


class FaultPage(BaseModel):
    items: list[FaultRecord]
    next_cursor: str | None


class AlertTruthPage(BaseModel):
    items: list[AlertTruth]
    next_cursor: str | None


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise HTTPException(422, detail="cursor must come from next_cursor")
    return int(cursor)


def _page(read: Callable[[int, int], list[T]], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """Return up to ``limit`` items from the offset ``cursor`` names, and the next page's cursor (None: last page)."""
    offset = _offset(cursor)
    items = read(offset, limit + 1)
    return items[:limit], str(offset + limit) if len(items) > limit else None


@router.post("/simulation/start", response_model=SimulationCommandOut, dependencies=[Authorized])
def start_simulation(simulation: SimulationDep) -> SimulationCommandOut:
    if simulation.start():
        return SimulationCommandOut(
            status="started",
            running=True,
            message="Incident simulation started - generating incidents every 30-60 seconds",
        )
    return SimulationCommandOut(status="already_running", running=True, message="Simulation is already active")


@router.post("/simulation/stop", response_model=SimulationCommandOut, dependencies=[Authorized])
def stop_simulation(simulation: SimulationDep) -> SimulationCommandOut:
    if simulation.stop():
        return SimulationCommandOut(
            status="stopped", running=False, message="Incident simulation stopped - no new incidents will be generated"
        )
    return SimulationCommandOut(status="already_stopped", running=False, message="Simulation is already inactive")


@router.get("/simulation/status", response_model=SimulationStatusOut)
def simulation_status(simulation: SimulationDep) -> SimulationStatusOut:
    s = simulation.status()
    return SimulationStatusOut(
        running=s.running, sim_time=s.sim_time, speed=s.speed, seed=s.seed, ticks=s.ticks,
        active_faults=s.active_faults, faults_started=s.faults_started, alerts_emitted=s.alerts_emitted, storm=s.storm,
    )  # fmt: skip


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
    dependencies=[Authorized],
    responses={404: {"description": "unknown scenario, tenant or host"}, 409: {"description": "simulation stopped"}},
)
def inject(
    name: str, simulation: SimulationDep, world: WorldDep, body: Annotated[InjectIn | None, Body()] = None
) -> FaultRecord:
    if name not in SCENARIO_NAMES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown scenario {name!r}")
    if not simulation.running:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="the simulation is stopped: start it first")
    target = body or InjectIn()
    return world.inject(name, tenant=target.tenant, host=target.host)


@router.get("/simulation/truth", response_model=FaultPage)
def truth(
    world: WorldDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> FaultPage:
    """Faults in start order with their root cause, remedy, end and affected hosts (evaluation only)."""
    items, next_cursor = _page(world.truth.faults, limit, cursor)
    return FaultPage(items=items, next_cursor=next_cursor)


@router.get("/simulation/truth/alerts", response_model=AlertTruthPage)
def truth_alerts(
    world: WorldDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> AlertTruthPage:
    """Alert occurrences in emission order with the fault that caused each (null: noise or hygiene)."""
    items, next_cursor = _page(world.truth.alerts, limit, cursor)
    return AlertTruthPage(items=items, next_cursor=next_cursor)

"""Patch roll-outs: advisories in, plans (the seed's `/api/patches` shapes plus what they lacked), commands.

`GET /api/patches` keeps the seed's fields (id, name, systems, progress, status, created_at, risk_score,
incident_id) and adds advisory_id, canary_size, state and the phases; `GET /api/patches/{id}` is the whole
plan. Commands answer 409 when the plan's state forbids them (or the kill switch is on for a resume).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from agents.patch_ops import PatchOps
from api.deps import Authorized, SimulationDep
from data.advisories import Advisory, AdvisoryIn
from data.errors import Conflict
from data.models import CanaryPhase, PatchPlan, PatchStatus, RolloutState, Severity
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["patches"])


def get_patch_ops(request: Request) -> PatchOps:
    patch_ops: PatchOps = request.app.state.patch_ops
    return patch_ops


PatchOpsDep = Annotated[PatchOps, Depends(get_patch_ops)]
Actor = Field(default="operator", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")


class PlanCreate(BaseModel):
    advisory_id: str = Field(min_length=1, max_length=128)
    actor: str = Actor


class CommandIn(BaseModel):
    reason: str = Field(default="", max_length=500, description="why (audited)")
    actor: str = Actor


class PatchSummary(BaseModel):
    id: str
    name: str
    systems: int
    progress: int
    status: PatchStatus
    created_at: UtcDatetime
    risk_score: float
    incident_id: str | None
    advisory_id: str | None
    canary_size: int
    state: RolloutState
    package: str
    fixed_version: str
    severity: Severity
    cvss: float | None
    priority: float
    wave_index: int
    pause_reason: str | None
    canary_phases: list[CanaryPhase]
    updated_at: UtcDatetime | None


class AdvisoryTruthOut(BaseModel):
    id: str
    bad: bool
    bad_fraction: float
    bad_hosts: list[str]


@router.get("/patches", response_model=list[PatchSummary])
def list_plans(
    patch_ops: PatchOpsDep,
    response: Response,
    state: RolloutState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> list[PatchSummary]:
    """Plans newest first; the next page's cursor is in the ``X-Next-Cursor`` header."""
    page = patch_ops.kb.list_patch_plans(limit=limit, cursor=cursor, state=state.value if state else None)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return [PatchSummary.model_validate(plan.model_dump()) for plan in page.items]


@router.post("/patches", response_model=PatchPlan, status_code=status.HTTP_201_CREATED, dependencies=[Authorized])
def create_plan(body: PlanCreate, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.create_plan(body.advisory_id, actor=f"user:{body.actor}")


@router.get("/patches/advisories", response_model=list[Advisory])
def list_advisories(
    patch_ops: PatchOpsDep,
    response: Response,
    package: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> list[Advisory]:
    page = patch_ops.kb.list_advisories(limit=limit, cursor=cursor, package=package)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return page.items


@router.post(
    "/patches/advisories", response_model=Advisory, status_code=status.HTTP_201_CREATED, dependencies=[Authorized]
)
def add_advisory(body: AdvisoryIn, patch_ops: PatchOpsDep) -> Advisory:
    """Store an advisory (idempotent for the same content; 409 when the id exists with other content)."""
    return patch_ops.add_advisory(body)


@router.get("/patches/{plan_id}", response_model=PatchPlan)
def get_plan(plan_id: str, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.get(plan_id)


@router.post("/patches/{plan_id}/approve", response_model=PatchPlan, dependencies=[Authorized])
def approve(plan_id: str, body: CommandIn, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.approve(plan_id, actor=f"user:{body.actor}", reason=body.reason)


@router.post("/patches/{plan_id}/pause", response_model=PatchPlan, dependencies=[Authorized])
def pause(plan_id: str, body: CommandIn, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.pause(plan_id, actor=f"user:{body.actor}", reason=body.reason)


@router.post("/patches/{plan_id}/resume", response_model=PatchPlan, dependencies=[Authorized])
def resume(plan_id: str, body: CommandIn, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.resume(plan_id, actor=f"user:{body.actor}", reason=body.reason)


@router.post("/patches/{plan_id}/rollback", response_model=PatchPlan, dependencies=[Authorized])
def rollback(plan_id: str, body: CommandIn, patch_ops: PatchOpsDep) -> PatchPlan:
    return patch_ops.rollback(plan_id, actor=f"user:{body.actor}", reason=body.reason)


@router.get("/simulation/truth/advisories", response_model=list[AdvisoryTruthOut])
def advisory_truth(simulation: SimulationDep) -> list[AdvisoryTruthOut]:
    """For evaluation only, like the fault truth: which simulated patches are bad, and on which hosts."""
    world = simulation.world
    if world is None:
        raise Conflict("no simulated world is running")
    return [
        AdvisoryTruthOut(id=t.id, bad=bool(t.bad_hosts), bad_fraction=t.bad_fraction, bad_hosts=t.bad_hosts)
        for t in world.advisories.truth()
    ]

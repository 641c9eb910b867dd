"""Actions on the fleet through the Executor: request one, follow it, approve or reject it, list them.

`POST /api/actions` answers 202 with the record (started, or waiting for approval), 409 naming the rule
that refused it (the refusal is recorded too), 422 for an unknown action or target or bad params.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.deps import Authorized, ExecutorDep, KbDep
from data.errors import Conflict, KillSwitchActive, NotFound
from data.execution import ActionRequest, ExecutedAction, ExecutionState
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api/actions", tags=["actions"])

RECENT_STATES = {
    ExecutionState.RUNNING,
    ExecutionState.SUCCEEDED,
    ExecutionState.FAILED,
    ExecutionState.UNKNOWN,
    ExecutionState.CANCELLED,
}


class ActionIn(BaseModel):
    action: str = Field(min_length=1, max_length=64, description="catalogue id (GET /api/tasks/catalogue)")
    target: str = Field(min_length=1, max_length=200, description="host or service name")
    params: dict[str, object] = Field(default_factory=dict)
    reason: str = Field(min_length=1, max_length=1000)
    actor: str = Field(default="api", min_length=1, max_length=100, description="who asks (audited as user:<actor>)")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    incident_id: str | None = Field(default=None, min_length=1, max_length=200)
    dry_run: bool = False


class DecisionIn(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=1000)


class RecentActionOut(BaseModel):
    agent: str
    action: str
    time: UtcDatetime = Field(description="when it started (the Executor's clock)")
    id: str
    target: str
    state: ExecutionState
    verified: bool | None
    incident_id: str | None


class ActionPage(BaseModel):
    items: list[ExecutedAction]
    next_cursor: str | None


def _refused(record: ExecutedAction) -> Conflict:
    reason = record.decisions[-1].reason if record.decisions else ""
    message = f"blocked by {record.blocked_by}: {reason} (recorded as {record.id})"
    return KillSwitchActive(message) if record.blocked_by == "kill_switch" else Conflict(message)


@router.post("", response_model=ExecutedAction, status_code=status.HTTP_202_ACCEPTED, dependencies=[Authorized])
def request_action(body: ActionIn, executor: ExecutorDep) -> ExecutedAction:
    request = ActionRequest(
        action=body.action,
        target=body.target,
        tenant=executor.resolve(body.target).tenant,
        params=body.params,
        reason=body.reason,
        requested_by=f"user:{body.actor}",
        idempotency_key=body.idempotency_key,
        incident_id=body.incident_id,
        dry_run=body.dry_run,
    )
    record = executor.submit(request)
    if record.state is ExecutionState.BLOCKED:
        raise _refused(record)
    return record


@router.get("/recent", response_model=list[RecentActionOut])
def recent_actions(executor: ExecutorDep, kb: KbDep) -> list[RecentActionOut]:
    """The ten newest actions that started (seed fields agent, action, time; plus what they did)."""
    out = []
    for record in kb.list_executions(limit=200).items:
        if record.state not in RECENT_STATES or record.started_at is None:
            continue
        out.append(
            RecentActionOut(
                agent=record.request.requested_by.partition(":")[2] or record.request.requested_by,
                action=executor.spec(record.request.action).title,
                time=record.started_at,
                id=record.id,
                target=record.request.target,
                state=record.state,
                verified=record.verified,
                incident_id=record.request.incident_id,
            )
        )
        if len(out) == 10:
            break
    return out


@router.get("", response_model=ActionPage)
def list_actions(
    kb: KbDep,
    incident_id: Annotated[str | None, Query(max_length=200)] = None,
    state: ExecutionState | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ActionPage:
    state_text = state.value if state else None
    page = kb.list_executions(incident_id=incident_id, state=state_text, limit=limit, cursor=cursor)
    return ActionPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/{action_id}", response_model=ExecutedAction)
def get_action(action_id: str, executor: ExecutorDep) -> ExecutedAction:
    record = executor.get(action_id)
    if record is None:
        raise NotFound(f"no action {action_id!r}")
    return record


@router.post("/{action_id}/approve", response_model=ExecutedAction, dependencies=[Authorized])
def approve_action(action_id: str, body: DecisionIn, executor: ExecutorDep) -> ExecutedAction:
    record = executor.approve(action_id, actor=f"user:{body.actor}", reason=body.reason)
    if record.state is ExecutionState.BLOCKED:
        raise _refused(record)
    return record


@router.post("/{action_id}/reject", response_model=ExecutedAction, dependencies=[Authorized])
def reject_action(action_id: str, body: DecisionIn, executor: ExecutorDep) -> ExecutedAction:
    return executor.reject(action_id, actor=f"user:{body.actor}", reason=body.reason)

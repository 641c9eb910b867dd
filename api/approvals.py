"""High-risk actions waiting for a person: list them, approve or reject with a reason (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import ApprovalDeciderDep, ApprovalsDep, Authorized
from config.approvals import Approval, ApprovalState
from data.errors import NotFound

router = APIRouter(prefix="/api", tags=["approvals"])


class DecisionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why (audited)")
    actor: str = Field(default="api", min_length=1, max_length=100, description="who decides (audited as user:<actor>)")


@router.get("/approvals", response_model=list[Approval])
def list_approvals(
    approvals: ApprovalsDep,
    response: Response,
    state: ApprovalState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="X-Next-Cursor of the previous page")] = None,
) -> list[Approval]:
    """Approvals newest request first (``state=pending`` for the queue); next page cursor in ``X-Next-Cursor``."""
    page = approvals.page(state=state, limit=limit, cursor=cursor)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return page.items


@router.get("/approvals/{approval_id}", response_model=Approval)
def get_approval(approval_id: str, approvals: ApprovalsDep) -> Approval:
    approval = approvals.get(approval_id)
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    return approval


@router.post("/approvals/{approval_id}/approve", response_model=Approval, dependencies=[Authorized])
def approve(approval_id: str, body: DecisionIn, decide: ApprovalDeciderDep) -> Approval:
    """Approve a pending action (409 when already decided or expired, 404 when unknown)."""
    return decide(approval_id, True, f"user:{body.actor}", body.reason)


@router.post("/approvals/{approval_id}/reject", response_model=Approval, dependencies=[Authorized])
def reject(approval_id: str, body: DecisionIn, decide: ApprovalDeciderDep) -> Approval:
    """Reject a pending action (409 when already decided or expired, 404 when unknown)."""
    return decide(approval_id, False, f"user:{body.actor}", body.reason)

"""The audit trail: `GET /api/audit-logs` (the seed's path and fields, plus the chain) and its verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import AuditDep
from data.errors import InvalidInput
from data.models import AuditEntry
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["audit"])


class AuditLogRow(BaseModel):
    id: str
    agent: str = Field(description="who: the acting agent or user (the entry's actor)")
    action: str
    target: str
    status: str = Field(
        description="the entry's result, else its decision, else the state it recorded (details.state), else "
        "completed (the change was made)"
    )
    time: UtcDatetime
    reason: str
    incident_id: str | None
    actor_kind: str = Field(description="agent or user")
    decision: str | None
    result: str | None
    details: dict[str, Any]
    seq: int | None = Field(description="position in the hash chain; null for entries older than the chain")
    prev_hash: str | None
    hash: str | None
    recorded_at: UtcDatetime | None


class ChainStatusOut(BaseModel):
    ok: bool
    entries: int = Field(description="chained entries recomputed")
    firstBroken: str | None = Field(description='id of the first entry that does not hold, "head" if the end is gone')
    unchained: int = Field(description="entries from before the chain existed (not covered)")


def status_of(entry: AuditEntry) -> str:
    """Return what the entry says came of it: its result, decision or recorded state, else completed."""
    state = entry.details.get("state")
    return entry.result or entry.decision or (state if isinstance(state, str) and state else "completed")


def row(entry: AuditEntry) -> AuditLogRow:
    return AuditLogRow(
        id=entry.id, agent=entry.actor, action=entry.action, target=entry.target,
        status=status_of(entry), time=entry.time, reason=entry.reason,
        incident_id=entry.incident_id, actor_kind=entry.actor_kind, decision=entry.decision, result=entry.result,
        details=entry.details, seq=entry.seq, prev_hash=entry.prev_hash, hash=entry.hash, recorded_at=entry.recorded_at,
    )  # fmt: skip


@router.get("/audit-logs", response_model=list[AuditLogRow])
def audit_logs(
    audit: AuditDep,
    response: Response,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="X-Next-Cursor of the previous page")] = None,
) -> list[AuditLogRow]:
    """Who changed what, newest first; the next page's cursor is in the ``X-Next-Cursor`` header."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since", "must carry a time zone, e.g. 2026-11-24T10:00:00Z")
    page = audit.page(limit=limit, cursor=cursor, incident_id=incident_id, action=action, actor=actor, since=since)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return [row(entry) for entry in page.items]


@router.get("/audit-logs/verify", response_model=ChainStatusOut)
def verify_audit_logs(audit: AuditDep) -> ChainStatusOut:
    """Recompute the hash chain from the store; name the first entry that was altered or removed."""
    status = audit.verify()
    return ChainStatusOut(
        ok=status.ok, entries=status.entries, firstBroken=status.first_broken, unchained=status.unchained
    )

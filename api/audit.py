"""The audit trail (the seed's `/api/audit-logs`): who changed what, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import KbDep
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["audit"])


class AuditLogRow(BaseModel):
    id: str
    agent: str
    action: str
    target: str
    status: str
    time: UtcDatetime
    reason: str
    incident_id: str | None


@router.get("/audit-logs", response_model=list[AuditLogRow])
def audit_logs(
    kb: KbDep,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AuditLogRow]:
    """Who changed what, newest first (kill switch, acknowledgements, resolutions, actions)."""
    entries = kb.list_audit(incident_id=incident_id, limit=limit).items
    return [
        AuditLogRow(
            id=e.id, agent=e.actor, action=e.action, target=e.target, status="completed", time=e.time,
            reason=e.reason, incident_id=e.incident_id,
        )
        for e in entries
    ]  # fmt: skip

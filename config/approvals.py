"""`ApprovalStore`: high-risk actions waiting for a person, persisted in the knowledge base, audited.

The Executor calls `request` when an action needs approval, and learns of the outcome through a
listener (`listen`) when someone approves or rejects it (`decide`) or when it times out (`expire`).
A decision is a conditional write on the approval's version, so of two people deciding at once, on one
machine or several, exactly one wins and the other gets a `Conflict`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from config.audit import AuditLog
from config.document_store import Doc
from config.knowledge_base import Collection, KnowledgeBase, Page, order_key
from data.errors import Conflict, NotFound
from data.models import Model
from data.timeutil import UtcDatetime, utc_now

log = logging.getLogger(__name__)

Listener = Callable[["Approval"], None]
_MAX_PENDING = 1000
_TIMED_OUT = "no decision before the deadline"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Approval(Model):
    """One action awaiting (or past) a human decision."""

    id: str
    action_id: str
    summary: str
    state: ApprovalState = ApprovalState.PENDING
    requested_by: str
    requested_at: UtcDatetime
    expires_at: UtcDatetime
    tenant: str | None = None
    incident_id: str | None = None
    risk: str | None = None
    decided_by: str | None = None
    decided_at: UtcDatetime | None = None
    reason: str | None = None
    version: int = Field(default=1, ge=1, description="bumped by every change; guards concurrent decisions")


def approval_id(action_id: str) -> str:
    """Return the id of the approval for ``action_id`` (one approval per action)."""
    return f"APR-{action_id}"


class ApprovalStore:
    """Approvals in the knowledge base's ``approvals`` collection. Thread-safe."""

    def __init__(
        self, kb: KnowledgeBase, audit: AuditLog, *, ttl: timedelta, now: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = kb.store
        self._audit = audit
        self._ttl = ttl
        self._now = now
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> None:
        """Call ``listener(approval)`` after every decision and expiry (errors in it are logged, not raised)."""
        with self._lock:
            self._listeners.append(listener)

    def request(
        self,
        action_id: str,
        summary: str,
        expires_at: datetime | None = None,
        *,
        requested_by: str = "agent:Executor",
        tenant: str | None = None,
        incident_id: str | None = None,
        risk: str | None = None,
    ) -> Approval:
        """Open the approval for ``action_id`` (expiring at ``expires_at``, default now + TTL); return it.

        Idempotent: asking again for the same action returns the approval already open, unchanged.
        """
        now = self._now()
        approval = Approval(
            id=approval_id(action_id), action_id=action_id, summary=summary, requested_by=requested_by,
            requested_at=now, expires_at=expires_at or now + self._ttl, tenant=tenant, incident_id=incident_id,
            risk=risk,
        )  # fmt: skip
        if not self._store.compare_and_put(Collection.APPROVALS, self._doc(approval), None):
            existing = self.get(approval.id)
            if existing is None:  # created and gone between the two reads: nothing deletes approvals
                raise Conflict(f"approval {approval.id} could not be opened")
            return existing
        self._audit.record(
            actor=requested_by, action="approval.request", target=action_id, reason=summary,
            decision="awaiting_approval", incident_id=incident_id, details={"approval_id": approval.id},
        )  # fmt: skip
        return approval

    def get(self, approval_id: str) -> Approval | None:
        body = self._store.get(Collection.APPROVALS, approval_id)
        return Approval.model_validate(body) if body is not None else None

    def page(self, *, state: ApprovalState | None = None, limit: int = 50, cursor: str | None = None) -> Page[Approval]:
        """Return approvals newest request first, optionally in one ``state``."""
        where = {"state": state.value} if state else None
        raw = self._store.query(Collection.APPROVALS, limit=limit, cursor=cursor, where=where)
        return Page([Approval.model_validate(body) for body in raw.items], raw.next_cursor)

    def pending(self, now: datetime | None = None) -> list[Approval]:
        """Return the approvals still open at ``now`` (default: the clock), oldest first."""
        at = now or self._now()
        found = self.page(state=ApprovalState.PENDING, limit=_MAX_PENDING).items
        return [a for a in reversed(found) if a.expires_at > at]

    def decide(self, approval_id: str, approve: bool, actor: str, reason: str) -> Approval:
        """Approve or reject a pending approval; return it decided.

        Raises NotFound for an unknown id and Conflict when it is no longer pending (decided by someone
        else, or expired: an approval past its deadline is marked expired here and refused).
        """
        current = self.get(approval_id)
        if current is None:
            raise NotFound(f"approval {approval_id} not found")
        now = self._now()
        if current.state is ApprovalState.PENDING and current.expires_at <= now:
            self._transition(current, ApprovalState.EXPIRED, "system", _TIMED_OUT, now)
            raise Conflict(f"approval {approval_id} expired at {current.expires_at.isoformat()}")
        if current.state is not ApprovalState.PENDING:
            raise Conflict(f"approval {approval_id} is already {current.state.value} by {current.decided_by}")
        state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        decided = self._transition(current, state, actor, reason, now)
        if decided is None:
            latest = self.get(approval_id)
            raise Conflict(
                f"approval {approval_id} was decided concurrently: {latest.state.value if latest else 'gone'}"
            )
        return decided

    def expire(self, now: datetime | None = None) -> list[Approval]:
        """Mark every pending approval whose deadline has passed as expired; return those this call expired."""
        at = now or self._now()
        expired = []
        for approval in self.page(state=ApprovalState.PENDING, limit=_MAX_PENDING).items:
            if approval.expires_at <= at:
                done = self._transition(
                    approval, ApprovalState.EXPIRED, "system", "no decision before the deadline", at
                )
                if done is not None:
                    expired.append(done)
        return expired

    def _transition(
        self, current: Approval, state: ApprovalState, actor: str, reason: str, now: datetime
    ) -> Approval | None:
        """Write the new state if nobody changed the approval since it was read; audit and notify. None if lost."""
        new = current.model_copy(
            update={
                "state": state,
                "decided_by": actor,
                "decided_at": now,
                "reason": reason,
                "version": current.version + 1,
            }
        )
        if not self._store.compare_and_put(Collection.APPROVALS, self._doc(new), current.version):
            return None
        self._audit.record(
            actor=actor, action=f"approval.{state.value}", target=current.action_id, reason=reason,
            decision=state.value, incident_id=current.incident_id, details={"approval_id": current.id},
        )  # fmt: skip
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(new)
            except Exception:
                log.exception("approval listener failed for %s", new.id)
        return new

    @staticmethod
    def _doc(approval: Approval) -> Doc:
        attrs = {"state": approval.state.value, "action_id": approval.action_id}
        return Doc(approval.id, order_key(approval.requested_at), approval.model_dump(mode="json"), attrs)

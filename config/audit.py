"""`AuditLog`: the one-call writer and reader of the tamper-evident audit trail.

Every change an operator or agent makes (kill switch, acknowledgements, approvals, silences, each
Executor decision) is appended here; the knowledge base chains the entries by SHA-256 (see
`config.audit_chain`) and `verify` recomputes the chain from the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from config.audit_chain import ChainStatus
from config.knowledge_base import KnowledgeBase, Page
from data.models import AuditEntry
from data.timeutil import utc_now


def new_audit_id() -> str:
    """Return a fresh, unguessable audit entry id."""
    return f"AUD-{uuid.uuid4().hex[:16]}"


class AuditLog:
    """Appends to and reads the hash-chained audit log of one knowledge base. Thread-safe."""

    def __init__(self, kb: KnowledgeBase, now: Callable[[], datetime] = utc_now) -> None:
        self._kb = kb
        self._now = now

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` (its chain fields are filled here); return it as stored, with ``seq`` and ``hash``."""
        return self._kb.append_audit(entry)

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        reason: str = "",
        decision: str | None = None,
        result: str | None = None,
        incident_id: str | None = None,
        details: dict[str, Any] | None = None,
        time: datetime | None = None,
    ) -> AuditEntry:
        """Build an entry (fresh id, ``time`` defaulting to now) and `append` it; return it as stored."""
        return self.append(
            AuditEntry(
                id=new_audit_id(), time=time or self._now(), actor=actor, action=action, target=target,
                reason=reason, decision=decision, result=result, incident_id=incident_id, details=details or {},
            )
        )  # fmt: skip

    def page(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        incident_id: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> Page[AuditEntry]:
        """Return entries newest first by ``time``; ``next_cursor`` continues the listing."""
        return self._kb.list_audit(
            limit=limit, cursor=cursor, incident_id=incident_id, action=action, actor=actor, since=since
        )

    def verify(self) -> ChainStatus:
        """Recompute the whole chain from the store and report whether it holds."""
        return self._kb.verify_audit()

"""The approvals queue and the Executor's waiting actions stay one, whichever way a decision arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.approval_bridge import connect_approvals
from config.approvals import ApprovalState, ApprovalStore, approval_id
from config.audit import AuditLog
from config.guardrails import Limits
from config.knowledge_base import MemoryKnowledgeBase
from data.errors import Conflict
from data.execution import ExecutionState
from tests.config.executor_fixtures import completed, request, rig

LIMITS = Limits(approval_ttl_s=600, cooldown_s=0, retry_backoff_s=0)


def test_a_waiting_action_opens_its_approval_and_the_queue_decision_starts_it() -> None:
    kb = MemoryKnowledgeBase()
    with rig(completed, limits=LIMITS, kb=kb) as r:
        store = ApprovalStore(kb, AuditLog(kb), ttl=timedelta(minutes=10), now=r.clock.now)
        decide = connect_approvals(r.executor, store)
        waiting = r.executor.submit(request("high_fix", requested_by="user:bob"))
        (pending,) = store.pending()
        assert pending.id == approval_id(waiting.id) and pending.expires_at == waiting.expires_at
        with pytest.raises(Conflict, match="different person"):
            decide(pending.id, True, "user:bob", "mine")  # the Executor refuses; the store stays pending
        assert store.get(pending.id).state is ApprovalState.PENDING  # type: ignore[union-attr]
        decided = decide(pending.id, True, "user:ana", "checked")
        assert decided.state is ApprovalState.APPROVED and decided.decided_by == "user:ana"
        assert r.executor.wait(waiting.id, 5).state is ExecutionState.SUCCEEDED


def test_decisions_and_expiry_through_the_executor_close_the_approval() -> None:
    kb = MemoryKnowledgeBase()
    with rig(completed, limits=LIMITS, kb=kb) as r:
        store = ApprovalStore(kb, AuditLog(kb), ttl=timedelta(minutes=10), now=r.clock.now)
        connect_approvals(r.executor, store)
        rejected = r.executor.submit(request("high_fix", target="acme-db-1"))
        r.executor.reject(rejected.id, actor="user:ana", reason="not tonight")
        closed = store.get(approval_id(rejected.id))
        assert closed is not None and closed.state is ApprovalState.REJECTED and closed.decided_by == "user:ana"
        lapsing = r.executor.submit(request("high_fix", target="globex-db-1"))
        r.clock.advance(11 * 60)
        r.executor.expire_due()
        assert store.get(approval_id(lapsing.id)).state is ApprovalState.EXPIRED  # type: ignore[union-attr]
        assert store.pending() == []

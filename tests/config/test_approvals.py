"""Approvals on every store backend: request, decide once, expire, audit, listeners, concurrent deciders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from config.approvals import Approval, ApprovalState, ApprovalStore
from config.audit import AuditLog
from config.document_store import DocumentStore
from config.knowledge_base import KnowledgeBase
from data.errors import Conflict, NotFound
from tests.config.test_audit import Interleaving

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class ManualNow:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def store_on(kb: KnowledgeBase, now: ManualNow) -> ApprovalStore:
    return ApprovalStore(kb, AuditLog(kb, now), ttl=timedelta(minutes=30), now=now)


def test_request_is_idempotent_and_listed_pending(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    approvals = store_on(kb, now)
    first = approvals.request("ACT-1", "reboot db-1", requested_by="agent:TaskOps", tenant="acme", risk="HIGH")
    again = approvals.request("ACT-1", "something else")
    assert again == first and first.expires_at == T0 + timedelta(minutes=30)
    approvals.request("ACT-2", "failover", T0 + timedelta(minutes=5))
    assert [a.action_id for a in approvals.pending()] == ["ACT-1", "ACT-2"]
    assert [e.action for e in kb.list_audit().items] == ["approval.request", "approval.request"]


def test_decide_once_with_audit_and_listener(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    approvals = store_on(kb, now)
    heard: list[Approval] = []
    approvals.listen(heard.append)
    opened = approvals.request("ACT-1", "reboot db-1", incident_id="INC-1")
    decided = approvals.decide(opened.id, True, "user:alice", "change window agreed")
    assert (decided.state, decided.decided_by, decided.reason) == (
        ApprovalState.APPROVED,
        "user:alice",
        "change window agreed",
    )
    assert heard == [decided] and approvals.get(opened.id) == decided
    with pytest.raises(Conflict, match="already approved by user:alice"):
        approvals.decide(opened.id, False, "user:bob", "no")
    with pytest.raises(NotFound):
        approvals.decide("APR-nope", True, "user:bob", "yes")
    entry = kb.list_audit(action="approval.approved").items[0]
    assert (entry.actor, entry.target, entry.decision, entry.incident_id) == (
        "user:alice",
        "ACT-1",
        "approved",
        "INC-1",
    )
    assert approvals.pending() == []


def test_expiry_by_sweep_and_on_a_late_decision(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    approvals = store_on(kb, now)
    heard: list[Approval] = []
    approvals.listen(heard.append)
    early = approvals.request("ACT-1", "a", T0 + timedelta(minutes=1))
    late = approvals.request("ACT-2", "b", T0 + timedelta(minutes=10))
    now.value = T0 + timedelta(minutes=2)
    assert [a.id for a in approvals.expire()] == [early.id]
    assert approvals.expire() == []  # only once
    assert [a.id for a in approvals.pending()] == [late.id]
    now.value = T0 + timedelta(minutes=11)
    with pytest.raises(Conflict, match="expired"):
        approvals.decide(late.id, True, "user:alice", "too late")
    assert [(a.id, a.state) for a in heard] == [(early.id, ApprovalState.EXPIRED), (late.id, ApprovalState.EXPIRED)]
    assert len(kb.list_audit(action="approval.expired").items) == 2


def test_two_deciders_on_two_connections_one_wins(open_kb: Callable[[], KnowledgeBase]) -> None:
    now = ManualNow(T0)
    stores = [store_on(open_kb(), now), store_on(open_kb(), now)]
    ids = [stores[0].request(f"ACT-{n}", "x").id for n in range(6)]
    wins: list[tuple[str, str]] = []
    losses: list[str] = []
    lock = threading.Lock()

    def decide(store: ApprovalStore, actor: str) -> None:
        for approval_id in ids:
            try:
                store.decide(approval_id, actor == "user:a", actor, "race")
                with lock:
                    wins.append((approval_id, actor))
            except Conflict:
                with lock:
                    losses.append(approval_id)

    threads = [threading.Thread(target=decide, args=(s, a)) for s, a in zip(stores, ("user:a", "user:b"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(approval_id for approval_id, _ in wins) == sorted(ids)
    assert sorted(losses) == sorted(ids)
    for approval_id, actor in wins:
        stored = stores[1].get(approval_id)
        assert stored is not None and stored.decided_by == actor
    assert AuditLog(open_kb()).verify().ok


def test_a_decision_that_loses_the_race_is_a_conflict(open_kb: Callable[[], KnowledgeBase]) -> None:
    now = ManualNow(T0)
    first = store_on(open_kb(), now)
    approval = first.request("ACT-1", "reboot")
    shared = open_kb()
    racing_kb = KnowledgeBase(
        cast(DocumentStore, Interleaving(shared.store, lambda: first.decide(approval.id, True, "user:a", "yes")))
    )
    with pytest.raises(Conflict, match="decided concurrently: approved"):
        store_on(racing_kb, now).decide(approval.id, False, "user:b", "no")
    stored = first.get(approval.id)
    assert stored is not None and (stored.state, stored.decided_by) == (ApprovalState.APPROVED, "user:a")
    assert [e.action for e in AuditLog(shared).page().items].count("approval.approved") == 1
    assert [e.action for e in AuditLog(shared).page().items].count("approval.rejected") == 0

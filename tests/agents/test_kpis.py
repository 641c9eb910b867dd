"""`automated_task_count`: verified, agent-requested, never approved by a person, inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agents.kpis import automated_task_count
from config.knowledge_base import MemoryKnowledgeBase
from data.execution import ActionRequest, ExecutedAction, ExecutionState

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def record(n: int, **fields: Any) -> ExecutedAction:
    values: dict[str, Any] = {
        "id": f"EXA-{n}",
        "request": ActionRequest(
            action="clear_cache", target="acme-cache-01", tenant="acme", reason="r", requested_by="agent:TaskOps"
        ),
        "state": ExecutionState.SUCCEEDED,
        "verified": True,
        "created_at": NOW - timedelta(hours=1),
    }
    values.update(fields)
    return ExecutedAction(**values)


def test_only_verified_agent_actions_without_a_person_count_within_the_window() -> None:
    kb = MemoryKnowledgeBase()
    person = ActionRequest(action="clear_cache", target="x", tenant="acme", reason="r", requested_by="user:ana")
    for r in (
        record(1),
        record(2),
        record(3, verified=False, state=ExecutionState.FAILED),
        record(4, verified=None, state=ExecutionState.UNKNOWN),
        record(5, approved_by="user:ana"),
        record(6, request=person),
        record(7, created_at=NOW - timedelta(hours=25)),
    ):
        kb.save_execution(r)
    assert automated_task_count(kb, NOW) == 2
    assert automated_task_count(kb, NOW, timedelta(hours=26)) == 3
    assert automated_task_count(MemoryKnowledgeBase(), NOW) == 0


def test_mttr_reduction_compares_like_with_like_or_is_none() -> None:
    from agents.kpis import mttr_reduction
    from data.models import OutcomeRecord

    def o(sig: str, actions: list[str], verified: bool | None, ttr: float | None) -> OutcomeRecord:
        return OutcomeRecord(incident_id="i", status="resolved", signature=sig, actions=actions, verified=verified,
                             time_to_resolve_s=ttr)  # fmt: skip

    assert mttr_reduction([]) is None
    assert mttr_reduction([o("A", ["x"], True, 100), o("B", [], None, 400)]) is None  # unlike incidents
    # A: auto 100 vs base 400; B: auto 300 vs base 300; a failed attempt and an unknown time do not count
    rows = [o("A", ["x"], True, 100), o("A", [], None, 400), o("B", ["y"], True, 300), o("B", [], None, 300),
            o("A", ["z"], False, 50), o("A", [], None, None)]  # fmt: skip
    assert mttr_reduction(rows) == 42.9  # 1 - 400 / 700

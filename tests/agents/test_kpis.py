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

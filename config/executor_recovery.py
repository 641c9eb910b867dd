"""What the Executor does at start-up with the records a previous process left behind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from config.guardrails import ActionSpec, Ledger
from config.knowledge_base import KnowledgeBase
from data.actuation import Inventory
from data.execution import ExecutedAction, ExecutionState
from data.models import ActionStatus

Finish = Callable[..., None]


def recover(
    kb: KnowledgeBase,
    catalogue: Mapping[str, ActionSpec],
    inventory: Inventory,
    ledger: Ledger,
    finish: Finish,
    now: datetime,
    horizon: timedelta,
) -> list[ExecutedAction]:
    """Close every record left RUNNING and rebuild the ledger of starts within ``horizon``; return the closed.

    An action in flight when its process died is never run again: when the actuator's completed result was
    recorded, its verification is finished from it (SUCCEEDED or FAILED); otherwise it is UNKNOWN, saying
    whether an attempt had begun. Recent starts count again for cooldowns and rate limits.
    """
    recovered = []
    for record in list(kb.iter_executions(state=ExecutionState.RUNNING.value)):
        state, note = ExecutionState.UNKNOWN, "outcome unknown"
        spec = catalogue.get(record.request.action)
        result = record.result
        if spec is not None and result is not None and result.status is ActionStatus.COMPLETED:
            record.verified, record.verification = spec.judge(result.observed, tuple(record.hosts))
            if record.verified is not None:
                state = ExecutionState.SUCCEEDED if record.verified else ExecutionState.FAILED
                note = f"finished from its recorded result: {record.verification}"
        started = f"attempt {record.attempts} had started" if record.attempts else "no attempt had started"
        reason = f"in flight when the process stopped ({started}); not run again; {note}"
        finish(record, state, reason, actor="system:executor")
        recovered.append(record)
    recent = [r for r in kb.iter_executions(since=now - horizon) if r.started_at is not None]
    for record in sorted(recent, key=lambda r: r.started_at or now):
        target = inventory.resolve(record.request.target)
        if record.started_at is not None and target is not None:
            ledger.record_start(record.id, record.request, target, record.started_at)
            ledger.finish(record.id)
    return recovered

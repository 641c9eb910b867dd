"""What PatchOps needs of the guarded Executor (`config.action_executor.Executor`): submit, wait, get.

Every install and rollback is an `ActionRequest` with an idempotency key per host step, so a request
repeated after a crash returns the record of the first one instead of acting twice.
"""

from __future__ import annotations

from typing import Protocol

from data.execution import ActionRequest, ExecutedAction, ExecutionState

__all__ = ["TEMPORARY_REFUSALS", "ActionRequest", "ExecutedAction", "ExecutionState", "ExecutorPort"]

# Guardrails whose refusal passes with time (a rate window, an action in flight, a cooldown, a silence):
# the host waits and is asked for again later instead of pausing the roll-out for a person.
TEMPORARY_REFUSALS = frozenset({"rate_limit", "blast_radius", "cooldown", "silence"})


class ExecutorPort(Protocol):
    def submit(self, request: ActionRequest) -> ExecutedAction: ...

    def wait(self, action_id: str, timeout: float) -> ExecutedAction: ...

    def get(self, action_id: str) -> ExecutedAction | None: ...

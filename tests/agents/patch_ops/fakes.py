"""Test doubles at PatchOps' seams: an Executor that keeps the contract's idempotency and kill-switch rules
(its records persisted in the knowledge base, so they survive a process kill), and a simulated harness."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agents.patch_ops import ActionRequest, ExecutedAction, ExecutionState
from config.knowledge_base import KnowledgeBase
from data.actuation import ActionResult, FleetActuator
from data.models import Action, ActionStatus


class FakeExecutor:
    """Runs each request synchronously on ``actuator`` unless the kill switch is on or ``gate`` says
    otherwise. A known idempotency key returns the first record; records left RUNNING by a dead process
    are marked UNKNOWN when a new one starts (as the real Executor does)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        actuator: FleetActuator,
        *,
        kill_switch: Callable[[], bool] = lambda: False,
        gate: Callable[[ActionRequest], ExecutionState | None] = lambda request: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.kb = kb
        self.actuator = actuator
        self.kill_switch = kill_switch
        self.gate = gate
        self.now = now
        self.submitted: list[ActionRequest] = []
        self.lock = threading.Lock()
        for key in self._keys():
            record = self._load(key)
            if record is not None and record.state is ExecutionState.RUNNING:
                self._store(record.model_copy(update={"state": ExecutionState.UNKNOWN}))

    def _keys(self) -> list[str]:
        index = self.kb.get_setting("fake-exec-index") or {}
        return list(index.get("keys", []))

    def _load(self, key: str) -> ExecutedAction | None:
        body = self.kb.get_setting(f"fake-exec:{key}")
        return ExecutedAction.model_validate(body) if body else None

    def _store(self, record: ExecutedAction) -> None:
        key = record.request.idempotency_key or record.id
        keys = self._keys()  # index and id first: a kill between the writes never hides a stored record
        if key not in keys:
            self.kb.put_setting("fake-exec-index", {"keys": [*keys, key]})
        self.kb.put_setting(f"fake-exec-id:{record.id}", {"key": key})
        self.kb.put_setting(f"fake-exec:{key}", record.model_dump(mode="json"))

    def submit(self, request: ActionRequest) -> ExecutedAction:
        with self.lock:
            self.submitted.append(request)
            if request.idempotency_key is not None:
                earlier = self._load(request.idempotency_key)
                if earlier is not None:
                    return earlier
            record = ExecutedAction(
                id=f"EXA-{uuid.uuid4().hex[:12]}", request=request, state=ExecutionState.RUNNING, created_at=self.now()
            )
            if self.kill_switch():
                record.state, record.blocked_by = ExecutionState.BLOCKED, "kill_switch"
                self._store(record)
                return record
            gated = self.gate(request)
            if gated is not None:
                record.state = gated
                record.blocked_by = "test_gate" if gated is ExecutionState.BLOCKED else None
                self._store(record)
                return record
            self._store(record)  # RUNNING, persisted before the fleet is touched
            action = Action(
                action_id=record.id,
                action_type=request.action,
                agent=request.requested_by,
                target=request.target,
                params=request.params,
            )
            result = self.actuator.apply(action)
            record.result = result
            record.attempts = 1
            record.state = (
                ExecutionState.SUCCEEDED if result.status is ActionStatus.COMPLETED else ExecutionState.FAILED
            )
            self._store(record)
            return record

    def wait(self, action_id: str, timeout: float) -> ExecutedAction:
        record = self.get(action_id)
        assert record is not None
        return record

    def get(self, action_id: str) -> ExecutedAction | None:
        ref = self.kb.get_setting(f"fake-exec-id:{action_id}")
        return self._load(ref["key"]) if ref else None

    def resolve(self, action_id: str, state: ExecutionState) -> None:
        """Settle a record left waiting (an approval granted or refused), as an operator would."""
        record = self.get(action_id)
        assert record is not None
        if state is ExecutionState.SUCCEEDED:
            result = self.actuator.apply(
                Action(
                    action_id=record.id,
                    action_type=record.request.action,
                    agent="test",
                    target=record.request.target,
                    params=record.request.params,
                )
            )
            record.result = result
        self._store(record.model_copy(update={"state": state}))


@dataclass
class CountingActuator:
    """Wraps an actuator and counts the calls per (action, host)."""

    inner: FleetActuator
    calls: list[tuple[str, str]] = field(default_factory=list)

    def apply(self, action: Action) -> ActionResult:
        self.calls.append((action.action_type, action.target))
        return self.inner.apply(action)

    def count(self, action: str, host: str | None = None) -> int:
        return sum(1 for a, h in self.calls if a == action and (host is None or h == host))


def params(**values: Any) -> dict[str, Any]:
    return values

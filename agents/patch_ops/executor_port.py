"""What PatchOps needs of the guarded Executor (`config.action_executor`): submit, wait, get.

Every install and rollback is an `ActionRequest` with an idempotency key per host step, so a request
repeated after a crash returns the record of the first one instead of acting twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from pydantic import Field

from data.actuation import ActionResult
from data.models import Model
from data.timeutil import UtcDatetime


class ActionRequest(Model):
    action: str
    target: str
    tenant: str
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str
    requested_by: str
    idempotency_key: str | None = None
    confidence: float | None = None
    incident_id: str | None = None
    correlation_id: str | None = None


class ExecutionState(StrEnum):
    BLOCKED = "blocked"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    EXPIRED = "expired"
    DRY_RUN = "dry_run"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class ExecutedAction(Model):
    id: str
    request: ActionRequest
    state: ExecutionState
    blocked_by: str | None = None
    result: ActionResult | None = None
    verified: bool | None = None
    attempts: int = 0
    created_at: UtcDatetime


class ExecutorPort(Protocol):
    def submit(self, request: ActionRequest) -> ExecutedAction: ...

    def wait(self, action_id: str, timeout: float) -> ExecutedAction: ...

    def get(self, action_id: str) -> ExecutedAction | None: ...

"""The records of the guarded action path: what was asked, every guardrail decision, and the outcome.

`config.action_executor.Executor` produces them; the knowledge base stores them; the API shows them.
States are final except ``AWAITING_APPROVAL`` (until approved, rejected or expired) and ``RUNNING``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from data.actuation import ActionResult
from data.models import Model, RiskLevel
from data.timeutil import UtcDatetime


class ActionRequest(Model):
    """A request to act on the fleet, from an agent (``agent:<Name>``) or a person (``user:<identity>``)."""

    action: str = Field(min_length=1, max_length=64, description="catalogue id, e.g. restart_service")
    target: str = Field(min_length=1, max_length=200, description="host or service name")
    tenant: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str = Field(min_length=1, max_length=1000)
    requested_by: str = Field(min_length=1, max_length=200)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    incident_id: str | None = Field(default=None, max_length=200)
    correlation_id: str | None = Field(default=None, max_length=200)
    dry_run: bool = Field(default=False, description="decide and record, but never call the actuator")
    context: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="what the requester based it on (e.g. symptom, target role)"
    )


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


FINAL_STATES = frozenset(
    {
        ExecutionState.BLOCKED,
        ExecutionState.REJECTED,
        ExecutionState.EXPIRED,
        ExecutionState.DRY_RUN,
        ExecutionState.SUCCEEDED,
        ExecutionState.FAILED,
        ExecutionState.UNKNOWN,
        ExecutionState.CANCELLED,
    }
)


class GuardDecision(Model):
    """One rule's verdict on one action, with the reason a person can read."""

    rule: str
    allowed: bool
    reason: str
    at: UtcDatetime


class ExecutedAction(Model):
    """An action's whole record: the request, every decision in order, attempts and the verified outcome."""

    id: str
    request: ActionRequest
    state: ExecutionState
    decisions: list[GuardDecision] = Field(default_factory=list)
    blocked_by: str | None = Field(default=None, description="the rule that refused it")
    result: ActionResult | None = Field(default=None, description="the actuator's report of the last attempt")
    verified: bool | None = Field(default=None, description="judged from observed state afterwards")
    verification: str | None = Field(default=None, description="what the verification check found")
    attempts: int = 0
    risk: RiskLevel | None = None
    service: str | None = None
    hosts: list[str] = Field(default_factory=list)
    approved_by: str | None = None
    expires_at: UtcDatetime | None = Field(default=None, description="when an approval request lapses")
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

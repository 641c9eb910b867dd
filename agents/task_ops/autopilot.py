"""Autonomous remediation: for each open incident, the best untried remedy goes to the Executor.

`Autopilot.run_once` reads open incidents and, once an incident has settled for ``settle_s`` (so its first
alerts have joined), asks the `Proposer` for candidates on its root-cause host and submits the best one
whose confidence reaches the threshold, unless the incident already has an action in flight or awaiting
approval, or a remedy already verified. A remedy whose verification failed on the same target within
``failure_memory_s`` is not tried there again, whatever the incident. A request the guardrails refused
is tried again only after ``retry_after_s`` (so an active kill switch costs one recorded refusal per
incident per interval, not one per tick). Verified outcomes feed the proposer's statistics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from agents.task_ops.proposals import Proposal, Proposer, stats_key
from config.knowledge_base import KnowledgeBase
from data.execution import ActionRequest, ExecutedAction, ExecutionState
from data.models import Incident, IncidentStatus, LogType

log = logging.getLogger(__name__)

AGENT = "agent:TaskOps"
_OPEN = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATING)
_PENDING = (ExecutionState.RUNNING, ExecutionState.AWAITING_APPROVAL)
_RETRYABLE = (ExecutionState.BLOCKED, ExecutionState.CANCELLED)


class Submitter(Protocol):
    def submit(self, request: ActionRequest) -> ExecutedAction: ...


class Autopilot:
    """See the module docstring. Call `run_once` from one thread (the simulation step or a worker)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        executor: Submitter,
        proposer: Proposer,
        clock: Callable[[], datetime],
        *,
        min_confidence: float = 0.5,
        settle_s: float = 120.0,
        retry_after_s: float = 300.0,
        failure_memory_s: float = 6 * 3600.0,
        enabled: Callable[[], bool] = lambda: True,
    ) -> None:
        self._kb = kb
        self._executor = executor
        self._proposer = proposer
        self._now = clock
        self.min_confidence = min_confidence
        self.settle = timedelta(seconds=settle_s)
        self.retry_after = timedelta(seconds=retry_after_s)
        self.failure_memory = timedelta(seconds=failure_memory_s)
        self._enabled = enabled
        self._settled: dict[str, datetime] = {}  # incident id -> its updatedAt when judged to need nothing

    def run_once(self) -> list[ExecutedAction]:
        """Submit at most one remedy per open incident; return the records the Executor gave back."""
        if not self._enabled():
            return []
        submitted = []
        open_ids: set[str] = set()
        for status in _OPEN:
            cursor: str | None = None
            while True:
                page = self._kb.list_incidents(status=status.value, limit=200, cursor=cursor)
                for incident in page.items:
                    open_ids.add(incident.id)
                    record = self._remedy(incident)
                    if record is not None:
                        submitted.append(record)
                cursor = page.next_cursor
                if cursor is None:
                    break
        self._settled = {k: v for k, v in self._settled.items() if k in open_ids}
        return submitted

    def _remedy(self, incident: Incident) -> ExecutedAction | None:
        now = self._now()
        if not incident.rootCauseHost or now - incident.createdAt < self.settle:
            return None  # nothing to act on yet; let the first minutes' alerts join before judging the cause
        if self._settled.get(incident.id) == incident.updatedAt:
            return None  # judged already (remedied, or nothing to propose) and nothing has changed since
        history = self._kb.list_executions(incident_id=incident.id, limit=100).items
        if any(r.state is ExecutionState.SUCCEEDED for r in history):
            self._settled[incident.id] = incident.updatedAt
            return None
        if any(r.state in _PENDING for r in history):
            return None
        if any(r.state in _RETRYABLE and now - r.created_at < self.retry_after for r in history):
            return None
        tried = {(r.request.action, r.request.target) for r in history if r.state not in _RETRYABLE}
        alerts = self._kb.list_alerts(incident_id=incident.id, limit=200).items
        for proposal in self._proposer.for_incident(incident, alerts):
            if proposal.confidence < self.min_confidence:
                break
            if (proposal.action, proposal.target) in tried or self._failed_lately(proposal, now):
                continue
            return self._executor.submit(self.request(proposal, incident.id))
        self._settled[incident.id] = incident.updatedAt
        return None

    def _failed_lately(self, proposal: Proposal, now: datetime) -> bool:
        """Whether the same action failed its verification on the same target recently (for any incident)."""
        failed = self._kb.list_executions(
            target=proposal.target, state=ExecutionState.FAILED.value, since=now - self.failure_memory, limit=50
        ).items
        return any(r.request.action == proposal.action and r.verified is False for r in failed)

    @staticmethod
    def request(proposal: Proposal, incident_id: str | None) -> ActionRequest:
        """Return the Executor request for ``proposal``, its evidence as the reason."""
        evidence = "; ".join(proposal.evidence[:5])
        return ActionRequest(
            action=proposal.action,
            target=proposal.target,
            tenant=proposal.tenant,
            params=dict(proposal.params),
            reason=f"{proposal.symptom}: {evidence}"[:1000],
            requested_by=AGENT,
            confidence=proposal.confidence,
            incident_id=incident_id,
            context={"symptom": proposal.symptom, "role": proposal.role},
        )


class OutcomeLearner:
    """Records each finished TaskOps action's verified outcome against the symptom and role that suggested it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def __call__(self, record: ExecutedAction) -> None:
        request = record.request
        symptom, role = request.context.get("symptom"), request.context.get("role")
        if not request.requested_by.startswith(AGENT) or record.verified is None or not symptom or role is None:
            return
        key = stats_key(symptom, role, request.action)
        self._kb.bump_action_stats(key, {"trials": 1, "verified": 1 if record.verified else 0})
        log.info(
            "Learned from %s on %s: %s",
            request.action,
            request.target,
            "verified" if record.verified else "not verified",
            extra={"log_type": LogType.TASKOPS},
        )

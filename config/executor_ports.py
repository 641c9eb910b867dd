"""The Executor's seams besides the actuator: silences, the audit writer, and the guarded actuator call.

`Silences` is the protocol of `config.silences` (a silence or maintenance window covering labels at a
time); `AuditWriter` is the audit log's `append`; `KbAudit` writes to the knowledge base's audit
collection until the hash-chained log replaces it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from config.knowledge_base import KnowledgeBase
from data.actuation import ActionResult, FleetActuator, TargetInfo
from data.errors import DomainError
from data.execution import ActionRequest, ExecutedAction, GuardDecision
from data.models import Action, ActionStatus, AuditEntry, RiskLevel

log = logging.getLogger(__name__)

Observer = Callable[[list[str]], Mapping[str, Mapping[str, float]]]


class Silence(Protocol):
    @property
    def id(self) -> str: ...


class Silences(Protocol):
    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> Silence | None:
        """Return a silence or maintenance window covering ``labels`` of ``tenant`` at ``at``, or None."""


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> object:
        """Append ``entry`` to the audit log (a chained log fills its sequence and hash)."""


class KbAudit:
    """Audit writer over `KnowledgeBase.append_audit`."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb

    def append(self, entry: AuditEntry) -> AuditEntry:
        return self._kb.append_audit(entry)


def check_silence(silences: Silences | None, request: ActionRequest, target: TargetInfo, at: datetime) -> GuardDecision:
    """Refuse when a silence or maintenance window covers any host the action would touch."""
    if silences is None:
        return GuardDecision(rule="silence", allowed=True, reason="no silence store is configured", at=at)
    for host in target.hosts:
        labels = {"host": host, "instance": host, "service": target.service, "action": request.action}
        silence = silences.active_for(request.tenant, labels, at)
        if silence is not None:
            reason = f"silence/maintenance window {silence.id} covers {host} ({target.service})"
            return GuardDecision(rule="silence", allowed=False, reason=reason, at=at)
    return GuardDecision(rule="silence", allowed=True, reason="no silence or maintenance window applies", at=at)


def audit_entry(
    record: ExecutedAction, what: str, reason: str, rule: str | None, actor: str | None, at: datetime
) -> AuditEntry:
    """Return the audit entry of one decision or outcome of ``record``, with every decision so far."""
    request = record.request
    return AuditEntry(
        id=f"AUD-{uuid.uuid4().hex[:12]}",
        time=at,
        actor=actor or request.requested_by,
        action=what,
        target=request.target,
        reason=reason,
        incident_id=request.incident_id,
        details={
            "action_id": record.id,
            "action": request.action,
            "tenant": request.tenant,
            "state": record.state.value,
            "rule": rule,
            "decisions": [d.model_dump(mode="json") for d in record.decisions],
        },
    )


def as_action(record: ExecutedAction) -> Action:
    """Return the `Action` an actuator is given for ``record``."""
    request = record.request
    return Action(
        action_id=record.id,
        action_type=request.action,
        agent=request.requested_by,
        target=request.target,
        params=request.params,
        risk_level=record.risk or RiskLevel.LOW,
        status=ActionStatus.RUNNING,
        incident_id=request.incident_id,
        description=request.reason,
        created_at=record.created_at,
    )


def call_actuator(actuator: FleetActuator, action: Action, timeout_s: float) -> ActionResult | str:
    """Return the actuator's result within ``timeout_s`` wall seconds, or a text saying why there is none."""
    box: list[ActionResult | str] = []

    def call() -> None:
        try:
            box.append(actuator.apply(action))
        except DomainError as error:
            box.append(f"the actuator refused it: {error}")
        except Exception as error:  # a broken back-end must not kill the Executor's worker
            log.exception("actuator failed on %s", action.action_id)
            box.append(f"the actuator failed: {type(error).__name__}: {error}")

    # A daemon thread only so that a call hung past its timeout cannot keep the process alive at exit.
    caller = threading.Thread(target=call, name=f"actuate-{action.action_id}", daemon=True)
    caller.start()
    caller.join(timeout_s)
    if caller.is_alive() or not box:
        return f"the actuator call timed out after {timeout_s:g} s; it may still complete"
    return box[0]

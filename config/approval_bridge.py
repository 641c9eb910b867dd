"""One approval queue: the Executor's actions waiting for a person and the approvals store kept as one.

The Executor decides (its approve/reject runs the other guardrails again and refuses a requester who
approves their own action); the store is the queue operators see and the record of who decided. An
action that starts waiting opens its approval; a decision taken through the queue goes to the Executor
first and is recorded in the store only when the Executor accepted it; a decision or expiry that reached
the Executor another way (the actions API, its expiry sweep) closes the approval too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from config.action_executor import Executor
from config.approvals import Approval, ApprovalState, ApprovalStore, approval_id
from data.errors import Conflict, NotFound
from data.execution import ExecutedAction, ExecutionState

log = logging.getLogger(__name__)

Decider = Callable[[str, bool, str, str], Approval]


def connect_approvals(executor: Executor, approvals: ApprovalStore) -> Decider:
    """Wire ``executor`` and ``approvals`` together; return the decider the approvals API calls."""

    def opened(record: ExecutedAction) -> None:
        request = record.request
        approvals.request(
            record.id,
            f"{request.action} on {request.target}: {request.reason}",
            record.expires_at,
            requested_by=request.requested_by,
            tenant=request.tenant,
            incident_id=request.incident_id,
            risk=record.decisions[-1].reason if record.decisions else None,
        )

    def finished(record: ExecutedAction) -> None:
        approval = approvals.get(approval_id(record.id))
        if approval is None or approval.state is not ApprovalState.PENDING:
            return
        try:
            if record.state is ExecutionState.EXPIRED:
                approvals.expire(approval.expires_at)
            elif record.state is ExecutionState.REJECTED or record.approved_by:
                actor, reason = _decision(record)
                approvals.decide(approval.id, record.state is not ExecutionState.REJECTED, actor, reason)
        except Conflict:  # decided through the queue at the same moment: the store already says so
            pass

    def decide(approval_key: str, approve: bool, actor: str, reason: str) -> Approval:
        approval = approvals.get(approval_key)
        if approval is None:
            raise NotFound(f"approval {approval_key} not found")
        if approval.state is not ApprovalState.PENDING:
            return approvals.decide(approval_key, approve, actor, reason)  # raises Conflict naming who decided
        if approve:
            executor.approve(approval.action_id, actor=actor, reason=reason)
        else:
            executor.reject(approval.action_id, actor=actor, reason=reason)
        current = approvals.get(approval_key)
        if current is not None and current.state is not ApprovalState.PENDING:
            return current  # closed by the listener when the Executor finished the action at once
        return approvals.decide(approval_key, approve, actor, reason)

    executor.subscribe_awaiting(opened)
    executor.subscribe(finished)
    return decide


def _decision(record: ExecutedAction) -> tuple[str, str]:
    """Return who took the approval decision on ``record`` and why (its approval decision reads ``actor: reason``)."""
    for decision in reversed(record.decisions):
        if decision.rule == "approval":
            actor, _, reason = decision.reason.partition(": ")
            return actor, reason or "no reason given"
    return record.approved_by or "unknown", "no reason given"

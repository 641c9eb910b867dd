"""The Executor: the only path from a decision to a `FleetActuator`, behind every guardrail.

`Executor.submit` runs, under one lock held together with the kill switch's gate, the kill switch,
silences, the tenant's allowlist, the cooldown, the rate limits, the blast radius, the risk policy and
dry-run mode, and registers the start in the same critical section; so once the kill switch's `set(True)`
has returned, no action starts anywhere. A started action runs on a worker thread: bounded retries with
back-off for transient failures, a timeout per call, the kill switch checked again before every attempt,
and success judged from the state observed afterwards, never from the actuator's word. Every record is
persisted in the knowledge base and every decision is audited with its rule and reason; an action in
flight when the process died is found at start-up and marked UNKNOWN, never run again.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from config.executor_ports import (
    AuditWriter,
    KbAudit,
    Observer,
    Silences,
    as_action,
    audit_entry,
    call_actuator,
    check_silence,
)
from config.executor_recovery import recover
from config.guardrails import (
    ActionSpec,
    Ledger,
    Limits,
    check_allowlist,
    check_blast_radius,
    check_cooldown,
    check_rate,
    check_risk,
)
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase
from data.actuation import ActionResult, FleetActuator, Inventory, TargetInfo
from data.clock import Clock
from data.errors import Conflict, InvalidInput, NotFound
from data.execution import ActionRequest, ExecutedAction, ExecutionState, GuardDecision
from data.models import ActionStatus, LogType

__all__ = [
    "ActionRequest",
    "ActionSpec",
    "ExecutedAction",
    "ExecutionState",
    "Executor",
    "GuardDecision",
    "KbAudit",
    "Limits",
]

log = logging.getLogger(__name__)
_STOP = ""  # queue sentinel: no action id is empty


class Executor:
    """See the module docstring. Thread-safe; `stop` ends the workers and cancels what never started."""

    def __init__(
        self,
        *,
        actuator_for: Callable[[str], FleetActuator],
        kill_switch: KillSwitch,
        kb: KnowledgeBase,
        clock: Clock,
        catalogue: Mapping[str, ActionSpec],
        inventory: Inventory,
        silences: Silences | None = None,
        limits: Limits | None = None,
        audit: AuditWriter | None = None,
        observe: Observer | None = None,
        workers: int = 4,
        wait_backoff: Callable[[float], bool] | None = None,
    ) -> None:
        """``observe(hosts)`` reads monitoring's view after an action (the actuator's ``observed`` otherwise);
        ``wait_backoff(seconds)`` waits between attempts and returns True when the Executor is stopping."""
        self._actuator_for = actuator_for
        self._switch = kill_switch
        self._kb = kb
        self._clock = clock
        self._catalogue = catalogue
        self._inventory = inventory
        self._silences = silences
        self.limits = limits or Limits()
        self._audit = audit or KbAudit(kb)
        self._observe = observe
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ledger = Ledger()
        self._live: dict[str, ExecutedAction] = {}  # RUNNING records, owned by their worker
        self._queue: queue.Queue[str] = queue.Queue()
        self._stopping = threading.Event()
        self._wait_backoff = wait_backoff or self._stopping.wait
        self._listeners: list[Callable[[ExecutedAction], None]] = []
        self._awaiting_listeners: list[Callable[[ExecutedAction], None]] = []
        self.recovered = self._recover()
        self._threads = [
            threading.Thread(target=self._work, name=f"executor-{n}", daemon=False) for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------------------------------ public

    def subscribe(self, listener: Callable[[ExecutedAction], None]) -> None:
        """Call ``listener`` with every record that reaches a final state (on the thread that finished it)."""
        self._listeners.append(listener)

    def subscribe_awaiting(self, listener: Callable[[ExecutedAction], None]) -> None:
        """Call ``listener`` with every record that starts waiting for a person's approval."""
        self._awaiting_listeners.append(listener)

    def now(self) -> datetime:
        """Return the time of the Executor's clock (sim time when simulated)."""
        return self._clock.now()

    def spec(self, action: str) -> ActionSpec:
        spec = self._catalogue.get(action)
        if spec is None:
            raise InvalidInput("action", f"unknown action {action!r}; known: {', '.join(sorted(self._catalogue))}")
        return spec

    def resolve(self, target: str) -> TargetInfo:
        """Return the inventory's view of ``target``; raise InvalidInput when it is unknown."""
        info = self._inventory.resolve(target)
        if info is None:
            raise InvalidInput("target", f"unknown host or service {target!r}")
        return info

    def submit(self, request: ActionRequest) -> ExecutedAction:
        """Run the guardrails atomically with the start; return at once with BLOCKED, AWAITING_APPROVAL,
        DRY_RUN or RUNNING (the action then runs on a worker). A known idempotency key returns the record
        it created, unchanged (Conflict when the key came with a different action, target or params).
        Raises InvalidInput for an unknown action or target, bad params, a tenant that does not own the
        target, or a target that fails the action's preconditions."""
        spec = self.spec(request.action)
        params = spec.validate_params(request.params)
        target = self.resolve(request.target)
        if target.tenant != request.tenant:
            raise InvalidInput("tenant", f"{request.target} belongs to tenant {target.tenant}, not {request.tenant}")
        spec.check_target(target)
        request = request.model_copy(update={"params": params})
        with self._lock, self._switch.gate() as switch_active:
            if request.idempotency_key is not None:
                earlier = self._by_key(request.idempotency_key)
                if earlier is not None:
                    asked = (earlier.request.action, earlier.request.target, earlier.request.params)
                    if asked != (request.action, request.target, request.params):
                        raise Conflict(
                            f"idempotency key {request.idempotency_key!r} was used by {earlier.id} for "
                            f"{earlier.request.action} on {earlier.request.target}; "
                            "a different request needs its own key"
                        )
                    self._record_duplicate(earlier, request)
                    return earlier
            now = self._clock.now()
            record = ExecutedAction(
                id=f"EXA-{uuid.uuid4().hex[:12]}",
                request=request,
                state=ExecutionState.RUNNING,
                risk=spec.risk,
                service=target.service,
                hosts=list(target.hosts),
                created_at=now,
            )
            self._decide(record, spec, target, switch_active, now, approval=False)
            return record.model_copy(deep=True)

    def approve(self, action_id: str, *, actor: str, reason: str) -> ExecutedAction:
        """Approve an action awaiting approval: the other guardrails run again, then it starts (or is
        blocked). Raises NotFound, Conflict when it is not awaiting approval or when the requester approves
        their own action; returns EXPIRED when the approval came too late."""
        with self._lock, self._switch.gate() as switch_active:
            record = self._awaiting(action_id)
            now = self._clock.now()
            if self._expire_if_due(record, now):
                return record
            if actor == record.request.requested_by:
                raise Conflict(f"{actor} requested {action_id}; a different person must approve it")
            spec = self.spec(record.request.action)
            target = self.resolve(record.request.target)
            record.approved_by = actor
            record.decisions.append(GuardDecision(rule="approval", allowed=True, reason=f"{actor}: {reason}", at=now))
            self._decide(record, spec, target, switch_active, now, approval=True)
            return record.model_copy(deep=True)

    def reject(self, action_id: str, *, actor: str, reason: str) -> ExecutedAction:
        """Reject an action awaiting approval (REJECTED, final). Raises NotFound or Conflict."""
        with self._lock:
            record = self._awaiting(action_id)
            now = self._clock.now()
            if self._expire_if_due(record, now):
                return record
            record.decisions.append(GuardDecision(rule="approval", allowed=False, reason=f"{actor}: {reason}", at=now))
            record.blocked_by = "approval"
            self._finish(record, ExecutionState.REJECTED, f"rejected by {actor}: {reason}", actor=actor)
            return record.model_copy(deep=True)

    def expire_due(self) -> list[ExecutedAction]:
        """Mark every approval request past its expiry EXPIRED; return those records."""
        expired = []
        with self._lock:
            now = self._clock.now()
            for record in self._kb.iter_executions(state=ExecutionState.AWAITING_APPROVAL.value):
                if self._expire_if_due(record, now):
                    expired.append(record)
        return expired

    def get(self, action_id: str) -> ExecutedAction | None:
        with self._lock:
            live = self._live.get(action_id)
            if live is not None:
                return live.model_copy(deep=True)
        return self._kb.get_execution(action_id)

    def wait(self, action_id: str, timeout: float) -> ExecutedAction:
        """Block until the action reaches a final state or ``timeout`` wall seconds pass; return its record."""
        with self._changed:
            self._changed.wait_for(lambda: action_id not in self._live, timeout)
        record = self.get(action_id)
        if record is None:
            raise NotFound(f"no action {action_id!r}")
        return record

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers (each finishes the attempt it is in); actions that never started are CANCELLED."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.error("%s did not stop within %.0f s", thread.name, timeout)
        with self._lock:
            for record in list(self._live.values()):
                if record.attempts == 0:
                    self._finish(record, ExecutionState.CANCELLED, "the Executor stopped before the action started")

    # ------------------------------------------------------------------------------------------ deciding

    def _decide(
        self,
        record: ExecutedAction,
        spec: ActionSpec,
        target: TargetInfo,
        switch_active: bool,
        now: datetime,
        *,
        approval: bool,
    ) -> None:
        """Append each rule's decision until one refuses, then block, ask for approval or start. Caller
        holds the lock and the kill switch's gate."""
        request = record.request
        limits = self.limits
        self._ledger.prune(now, timedelta(hours=1))
        checks: list[Callable[[], GuardDecision]] = [
            lambda: GuardDecision(
                rule="kill_switch",
                allowed=not switch_active,
                reason=self._switch_reason() if switch_active else "kill switch is off",
                at=now,
            ),
            lambda: check_silence(self._silences, request, target, now),
            lambda: check_allowlist(limits, request, now),
            lambda: check_cooldown(limits, self._ledger, request, now),
            lambda: check_rate(limits, self._ledger, request, now),
            lambda: check_blast_radius(limits, self._ledger, target, now),
        ]
        if not approval:
            checks.append(lambda: check_risk(limits, spec, request, now))
        for check in checks:
            decision = check()
            record.decisions.append(decision)
            if decision.allowed:
                continue
            if decision.rule == "risk_policy":
                record.state = ExecutionState.AWAITING_APPROVAL
                record.expires_at = now + timedelta(seconds=limits.approval_ttl_s)
                self._save(record)
                self._write_audit(record, "action.awaiting_approval", decision.reason, decision.rule)
                for listener in self._awaiting_listeners:
                    listener(record.model_copy(deep=True))
                return
            record.blocked_by = decision.rule
            self._finish(record, ExecutionState.BLOCKED, decision.reason)
            return
        if limits.dry_run or request.dry_run:
            why = "dry-run mode is on" if limits.dry_run else "the request asked for a dry run"
            decision = GuardDecision(rule="dry_run", allowed=False, reason=f"{why}: nothing was done", at=now)
            record.decisions.append(decision)
            self._finish(record, ExecutionState.DRY_RUN, decision.reason)
            return
        record.state = ExecutionState.RUNNING
        record.started_at = now
        self._ledger.record_start(record.id, request, target, now)
        self._live[record.id] = record
        self._save(record)
        self._write_audit(record, "action.started", "every guardrail allowed it", None)
        self._queue.put(record.id)

    def _switch_reason(self) -> str:
        state = self._switch.state()
        by = f" by {state.changed_by}" if state.changed_by else ""
        return f"kill switch is active{by}: {state.reason or 'no reason given'}"

    def _awaiting(self, action_id: str) -> ExecutedAction:
        record = self._kb.get_execution(action_id)
        if record is None:
            raise NotFound(f"no action {action_id!r}")
        if record.state is not ExecutionState.AWAITING_APPROVAL:
            raise Conflict(f"{action_id} is {record.state.value}, not awaiting approval")
        return record

    def _expire_if_due(self, record: ExecutedAction, now: datetime) -> bool:
        if record.expires_at is None or now < record.expires_at:
            return False
        record.decisions.append(
            GuardDecision(rule="approval", allowed=False, reason="no approval before the request expired", at=now)
        )
        record.blocked_by = "approval"
        self._finish(record, ExecutionState.EXPIRED, f"approval request expired at {record.expires_at.isoformat()}")
        return True

    def _by_key(self, key: str) -> ExecutedAction | None:
        for record in self._live.values():
            if record.request.idempotency_key == key:
                return record.model_copy(deep=True)
        found = self._kb.list_executions(idempotency_key=key, limit=1).items
        return found[0] if found else None

    def _record_duplicate(self, earlier: ExecutedAction, request: ActionRequest) -> None:
        reason = f"idempotency key {request.idempotency_key!r} already used by {earlier.id} ({earlier.state.value})"
        self._write_audit(earlier, "action.duplicate", reason, "idempotency", actor=request.requested_by)

    # ------------------------------------------------------------------------------------------ running

    def _work(self) -> None:
        while True:
            action_id = self._queue.get()
            if action_id == _STOP:
                return
            try:
                self._run(action_id)
            except Exception:
                log.exception("action %s failed inside the Executor", action_id)
                with self._lock:
                    record = self._live.get(action_id)
                    if record is not None:
                        self._finish(record, ExecutionState.UNKNOWN, "the Executor failed while running it")

    def _run(self, action_id: str) -> None:
        limits = self.limits
        result: ActionResult | None = None
        record = self._live[action_id]
        for attempt in range(1, limits.max_attempts + 1):
            with self._lock, self._switch.gate() as switch_active:
                if switch_active:
                    self._finish(
                        record, ExecutionState.CANCELLED, f"{self._switch_reason()}; stopped before attempt {attempt}"
                    )
                    return
                if self._stopping.is_set():
                    state = ExecutionState.CANCELLED if attempt == 1 else ExecutionState.FAILED
                    self._finish(record, state, f"the Executor stopped before attempt {attempt}")
                    return
                record.attempts = attempt
                self._save(record)  # persisted before the call: after a crash it is never run again
            outcome = self._call(record)
            if isinstance(outcome, str):
                with self._lock:
                    self._finish(
                        record, ExecutionState.UNKNOWN if "timed out" in outcome else ExecutionState.FAILED, outcome
                    )
                return
            result = outcome
            with self._lock:
                record.result = result
                self._save(record)
            if result.status is ActionStatus.COMPLETED or not result.transient or attempt == limits.max_attempts:
                break
            if self._wait_backoff(limits.retry_backoff_s * 2 ** (attempt - 1)):
                with self._lock:
                    self._finish(record, ExecutionState.FAILED, f"the Executor stopped after attempt {attempt}")
                return
        assert result is not None
        self._conclude(record, result)

    def _call(self, record: ExecutedAction) -> ActionResult | str:
        """Return the actuator's result, or a text saying why there is none (timeout, refusal, error)."""
        actuator = self._actuator_for(record.request.tenant)
        return call_actuator(actuator, as_action(record), self.limits.timeout_s)

    def _conclude(self, record: ExecutedAction, result: ActionResult) -> None:
        spec = self.spec(record.request.action)
        with self._lock:
            if result.status is not ActionStatus.COMPLETED:
                self._finish(record, ExecutionState.FAILED, f"the actuator reported failure: {result.message}")
                return
        observed = self._observe(record.hosts) if self._observe is not None else result.observed
        verified, finding = spec.judge(observed, tuple(record.hosts))
        with self._lock:
            record.verified = verified
            record.verification = finding
            if verified is None:
                self._finish(record, ExecutionState.UNKNOWN, f"could not verify: {finding}")
            elif verified:
                self._finish(record, ExecutionState.SUCCEEDED, f"verified: {finding}")
            else:
                self._finish(record, ExecutionState.FAILED, f"verification failed: {finding}")

    # ------------------------------------------------------------------------------------------ records

    def _finish(self, record: ExecutedAction, state: ExecutionState, reason: str, actor: str | None = None) -> None:
        """Move ``record`` to a final state, persist and audit it, wake waiters. Caller holds the lock."""
        record.state = state
        record.finished_at = self._clock.now()
        self._live.pop(record.id, None)
        self._ledger.finish(record.id)
        self._save(record)
        self._write_audit(record, f"action.{state.value}", reason, record.blocked_by, actor=actor)
        self._changed.notify_all()
        final = record.model_copy(deep=True)
        for listener in self._listeners:
            try:
                listener(final)
            except Exception:
                log.exception("action listener failed on %s", record.id)

    def _save(self, record: ExecutedAction) -> None:
        self._kb.save_execution(record)

    def _write_audit(
        self, record: ExecutedAction, what: str, reason: str, rule: str | None, actor: str | None = None
    ) -> None:
        """The one place decisions reach the audit log (swap the writer here for the chained log)."""
        self._audit.append(audit_entry(record, what, reason, rule, actor, self._clock.now()))
        level = logging.WARNING if record.state in (ExecutionState.FAILED, ExecutionState.UNKNOWN) else logging.INFO
        request = record.request
        log.log(
            level, "%s %s on %s: %s", what, request.action, request.target, reason, extra={"log_type": LogType.TASKOPS}
        )

    def _recover(self) -> list[ExecutedAction]:
        with self._lock:
            return recover(self._kb, self._catalogue, self._inventory, self._ledger, self._finish, self._clock.now(),
                           timedelta(seconds=max(3600.0, self.limits.cooldown_s)))  # fmt: skip

"""The roll-out state machine: one persisted step at a time, every fleet action through the Executor.

``draft -> approved -> preflight -> canary -> baking -> wave -> baking -> ... -> completed``, or
``paused`` (kill switch, operator, maintenance window, inconclusive analysis, a refused action) and back,
or ``rolling_back -> rolled_back``, or ``failed`` (a rollback that did not take: an operator must look).

Crash safety: a host step is written as intent (``installing``/``rolling_back``, with its attempt number)
before the request is submitted, with the idempotency key ``patch:<plan>:<host>:<step>:<attempt>``. After a
kill -9 the stored plan is read again and the same key submitted, so the Executor returns the record of
the first submission instead of acting twice; an outcome it cannot tell (UNKNOWN) is settled by reading
the installed version from the inventory. The attempt number only moves on when the previous request
provably never reached the fleet (blocked, rejected, expired, cancelled, dry run) or failed transiently.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from agents.patch_ops.analysis import AnomalyCount, MetricSource, Subject, judge
from agents.patch_ops.executor_port import (
    TEMPORARY_REFUSALS,
    ExecutedAction,
    ExecutionState,
    ExecutorPort,
)
from agents.patch_ops.policy import RolloutPolicy
from agents.patch_ops.preflight import STATIC_CHECKS, checks, fit, replace_canary, request_for
from data.clock import Clock
from data.errors import DomainError
from data.inventory import HostInventory
from data.models import (
    AuditEntry,
    HostPatchStatus,
    LogType,
    PatchHost,
    PatchPlan,
    PatchStatus,
    RolloutState,
    Verdict,
)
from data.patch_windows import MaintenanceWindows

log = logging.getLogger(__name__)

AGENT = "agent:PatchOps"
MAX_HEALTH_CHECKS = 40
MAX_STEPS_PER_ADVANCE = 500
S = RolloutState
H = HostPatchStatus
TERMINAL = frozenset({S.COMPLETED, S.ROLLED_BACK, S.FAILED})
RUNNING_STATES = frozenset({S.APPROVED, S.PREFLIGHT, S.CANARY, S.BAKING, S.WAVE, S.ROLLING_BACK})
STATUS_OF = {
    S.DRAFT: PatchStatus.PENDING,
    S.APPROVED: PatchStatus.PENDING,
    S.PREFLIGHT: PatchStatus.IN_PROGRESS,
    S.CANARY: PatchStatus.IN_PROGRESS,
    S.BAKING: PatchStatus.IN_PROGRESS,
    S.WAVE: PatchStatus.IN_PROGRESS,
    S.ROLLING_BACK: PatchStatus.IN_PROGRESS,
    S.PAUSED: PatchStatus.PAUSED,
    S.COMPLETED: PatchStatus.COMPLETED,
    S.ROLLED_BACK: PatchStatus.ROLLED_BACK,
    S.FAILED: PatchStatus.FAILED,
}

AuditWrite = Callable[[AuditEntry], object]  # the audit log returns the stored entry; unused here
IncidentHosts = Callable[[], set[str]]


class RolloutEngine:
    """Advances stored plans; every change is saved before the next fleet action. Thread-safe (one lock)."""

    def __init__(
        self,
        *,
        save: Callable[[PatchPlan], None],
        executor: ExecutorPort,
        inventory: HostInventory,
        metrics: MetricSource,
        clock: Clock,
        kill_switch_active: Callable[[], bool],
        audit: AuditWrite,
        policy: RolloutPolicy,
        windows: MaintenanceWindows | None = None,
        incident_hosts: IncidentHosts | None = None,
        anomalies: AnomalyCount | None = None,
        wait_s: float = 5.0,
        hold_s: float = 60.0,
    ) -> None:
        """``wait_s``: wall seconds a tick waits for one action; ``hold_s``: clock seconds a temporary
        guardrail refusal (rate limit, blast radius, cooldown, silence) holds the plan before asking again."""
        self._save = save
        self.executor = executor
        self.inventory = inventory
        self.metrics = metrics
        self.clock = clock
        self.kill_switch_active = kill_switch_active
        self._audit = audit
        self.policy = policy
        self.windows = windows or MaintenanceWindows()
        self.incident_hosts = incident_hosts or set
        self.anomalies = anomalies
        self.wait_s = wait_s
        self.hold_s = hold_s
        self.lock = threading.RLock()

    # ------------------------------------------------------------------------------------------ transitions

    def save(self, plan: PatchPlan) -> None:
        """Stamp ``plan``'s derived fields (status, progress) and persist it."""
        plan.status = STATUS_OF[plan.state]
        installed = sum(1 for h in plan.affected_hosts if h.status is H.INSTALLED)
        plan.progress = round(100 * installed / plan.systems) if plan.systems else 0
        for phase in plan.canary_phases:
            members = [h for h in plan.affected_hosts if h.wave == phase.wave]
            done = sum(1 for h in members if h.status in (H.INSTALLED, H.SKIPPED, H.FAILED))
            phase.progress = round(100 * done / len(members)) if members else 100
        plan.updated_at = self.clock.now()
        self._save(plan)

    def transition(
        self, plan: PatchPlan, to: RolloutState, *, reason: str, actor: str = AGENT, kind: str | None = None
    ) -> None:
        """Move ``plan`` to ``to``, persist it and audit the transition (who, from, to, why)."""
        before = plan.state
        if to is S.PAUSED:
            plan.paused_from = before if before is not S.PAUSED else plan.paused_from
            plan.pause_kind, plan.pause_reason = kind, reason
        elif before is S.PAUSED:
            plan.paused_from = plan.pause_kind = plan.pause_reason = None
        plan.state = to
        if to in TERMINAL:
            plan.finished_at = self.clock.now()
        self.save(plan)
        self._audit(
            AuditEntry(
                id=f"AUD-{uuid.uuid4().hex[:12]}",
                time=self.clock.now(),
                actor=actor,
                action=f"patch.{to.value}",
                target=plan.id,
                reason=reason,
                details={"from": before.value, "to": to.value, "wave": plan.wave_index, "kind": kind},
            )
        )
        level = logging.WARNING if to in (S.PAUSED, S.ROLLING_BACK, S.FAILED) else logging.INFO
        log.log(
            level,
            "Patch %s (%s): %s -> %s: %s",
            plan.id,
            plan.name,
            before.value,
            to.value,
            reason,
            extra={"log_type": LogType.PATCHOPS},
        )

    # ------------------------------------------------------------------------------------------ advancing

    def advance(self, plan: PatchPlan) -> PatchPlan:
        """Take every step ``plan`` can take now (installs, bakes that are due, rollbacks); return it."""
        with self.lock:
            for _ in range(MAX_STEPS_PER_ADVANCE):
                if not self._step(plan):
                    break
            return plan

    def _step(self, plan: PatchPlan) -> bool:
        """Take one step; return True when something changed and another step may follow."""
        state = plan.state
        if state in RUNNING_STATES and self.kill_switch_active():
            self.transition(plan, S.PAUSED, reason="kill switch is active", kind="kill_switch")
            return False
        if state is S.PAUSED:
            return self._auto_resume(plan)
        if state is S.APPROVED:
            self.transition(plan, S.PREFLIGHT, reason="pre-flight checks on every host")
            return True
        if state is S.PREFLIGHT:
            self._preflight_all(plan)
            plan.wave_index = 0
            self._start_phase(plan)
            self.transition(plan, S.CANARY, reason=f"canary: {plan.canary_phases[0].name}")
            return True
        if state in (S.CANARY, S.WAVE):
            return self._install_step(plan)
        if state is S.BAKING:
            return self._bake_step(plan)
        if state is S.ROLLING_BACK:
            return self._rollback_step(plan)
        return False

    def _auto_resume(self, plan: PatchPlan) -> bool:
        if plan.pause_kind != "window" or plan.paused_from is None:
            return False
        now = self.clock.now()
        phase_hosts = self._phase_hosts(plan, H.PENDING)
        if any(self.windows.is_open(h.tenant, now) for h in phase_hosts):
            self.transition(plan, plan.paused_from, reason="maintenance window open again")
            return True
        return False

    # ------------------------------------------------------------------------------------------ pre-flight

    def _preflight_all(self, plan: PatchPlan) -> None:
        """Check every host once and record it; a host that no longer needs the patch (or is unknown) is skipped.
        Health, disk, backup and incidents are checked again right before each install."""
        incident_hosts = self.incident_hosts()
        for host in plan.affected_hosts:
            if host.status is H.PENDING:
                results = checks(plan, host, self.inventory, incident_hosts, self.policy.max_disk_percent)
                host.preflight = results
                static = [name for name in STATIC_CHECKS if not results[name]]
                if static:
                    host.status = H.SKIPPED
                    host.note = "pre-flight failed: " + ", ".join(static)
        self.save(plan)

    # ------------------------------------------------------------------------------------------ installing

    def _phase_hosts(self, plan: PatchPlan, *statuses: HostPatchStatus) -> list[PatchHost]:
        return [h for h in plan.affected_hosts if h.wave == plan.wave_index and h.status in statuses]

    def _start_phase(self, plan: PatchPlan) -> None:
        phase = plan.canary_phases[plan.wave_index]
        phase.status = PatchStatus.IN_PROGRESS
        phase.started_at = self.clock.now()

    def _held(self, plan: PatchPlan) -> bool:
        return plan.hold_until is not None and self.clock.now() < plan.hold_until

    def _install_step(self, plan: PatchPlan) -> bool:
        if self._held(plan):
            return False
        in_flight = self._phase_hosts(plan, H.INSTALLING)
        if in_flight:
            return self._run_host(plan, in_flight[0], "install")
        pending = self._phase_hosts(plan, H.PENDING)
        if not pending and not self._phase_hosts(plan, H.INSTALLED):
            if plan.wave_index == 0 and replace_canary(plan) is not None:
                self.save(plan)
                return True
            if plan.wave_index > 0:
                self.pass_phase(plan, "every host of this wave was skipped: nothing to bake")
                return True
        if not pending:
            phase = plan.canary_phases[plan.wave_index]
            now = self.clock.now()
            phase.started_at = now
            phase.bake_until = now + timedelta(seconds=phase.bake_seconds)
            self.transition(plan, S.BAKING, reason=f"{phase.name} installed; baking {phase.bake_seconds:.0f} s")
            return True
        now = self.clock.now()
        ready = [h for h in pending if self.windows.is_open(h.tenant, now)]
        if not ready:
            tenants = ", ".join(sorted({h.tenant for h in pending}))
            self.transition(plan, S.PAUSED, reason=f"maintenance window closed for {tenants}", kind="window")
            return False
        incident_hosts = self.incident_hosts()
        disk = self.policy.max_disk_percent
        host = next(
            (h for h in ready if fit(h, checks(plan, h, self.inventory, incident_hosts, disk), self.policy)), None
        )
        if host is None:
            if any(h.status is H.PENDING for h in ready):  # unfit for now: look again after a hold
                plan.hold_until = now + timedelta(seconds=self.hold_s)
                self.save(plan)
                return False
            self.save(plan)
            return True
        host.status = H.INSTALLING
        self.save(plan)  # the intent is stored before the request exists
        return self._run_host(plan, host, "install")

    def _run_host(self, plan: PatchPlan, host: PatchHost, step: str) -> bool:
        """Submit (or re-submit, same key) the host's step, wait a little, and record what happened."""
        if self.kill_switch_active():
            self.transition(plan, S.PAUSED, reason="kill switch is active", kind="kill_switch")
            return False
        try:
            record = self.executor.submit(request_for(plan, host, step))
        except DomainError as refused:  # the Executor will not take this request at all (target, params, tenant)
            host.status = H.FAILED if step == "install" else H.INSTALLED
            host.note = f"{step} refused: {refused}"
            self.transition(plan, S.PAUSED, reason=f"{step} on {host.host} refused: {refused}", kind="blocked")
            return False
        if step == "install":
            host.action_id = record.id
        else:
            host.rollback_action_id = record.id
        if record.state in (ExecutionState.RUNNING, ExecutionState.AWAITING_APPROVAL):
            record = self.executor.wait(record.id, self.wait_s)
        return self._settle(plan, host, step, record)

    def _settle(self, plan: PatchPlan, host: PatchHost, step: str, record: ExecutedAction) -> bool:
        state = record.state
        install = step == "install"
        if state in (ExecutionState.RUNNING, ExecutionState.AWAITING_APPROVAL):
            host.note = f"{record.id} {state.value}"
            self.save(plan)
            return False
        unsure = state in (ExecutionState.FAILED, ExecutionState.UNKNOWN)
        if state is ExecutionState.SUCCEEDED or (unsure and self._took(plan, host, install)):
            host.status = H.INSTALLED if install else H.ROLLED_BACK
            took = f"{record.id} {state.value}; the version shows it took"
            host.note = "" if state is ExecutionState.SUCCEEDED else took
            if install:
                host.installed_at = self.clock.now()
            self.save(plan)
            return True
        host.attempt += 1  # the fleet is as it was before this request: the next one needs a new key
        transient = record.result is not None and record.result.transient
        if state is ExecutionState.UNKNOWN or (transient and host.attempt <= self.policy.install_retries):
            host.note = f"{record.id} {state.value}; retrying"
            self.save(plan)
            return True
        rolling_back = plan.state is S.ROLLING_BACK
        if state is ExecutionState.FAILED:
            host.status = H.FAILED
            host.note = f"{step} failed: {record.result.message if record.result else record.id}"
            if not install:
                self.transition(plan, S.FAILED, reason=f"rollback failed on {host.host}: an operator must act")
                return False
            if rolling_back:
                self.save(plan)
                return True
            self.transition(plan, S.PAUSED, reason=f"install failed on {host.host}", kind="blocked")
            return False
        host.status = H.PENDING if install else H.INSTALLED
        host.note = f"{record.id} {state.value}" + (f" by {record.blocked_by}" if record.blocked_by else "")
        if state is ExecutionState.BLOCKED and record.blocked_by in TEMPORARY_REFUSALS:
            plan.hold_until = self.clock.now() + timedelta(seconds=self.hold_s)
            host.note += f"; asking again after {plan.hold_until.isoformat()}"
            self.save(plan)
            return False
        if install and rolling_back:
            self.save(plan)
            return True
        kind = "kill_switch" if record.blocked_by == "kill_switch" else "blocked"
        self.transition(plan, S.PAUSED, reason=f"{step} on {host.host} not run: {host.note}", kind=kind)
        return False

    def _took(self, plan: PatchPlan, host: PatchHost, install: bool) -> bool:
        """Return True when the host's version shows the step happened (the inventory's word, not the actuator's)."""
        version = self.inventory.package_version(host.host, plan.package)
        return version == (plan.fixed_version if install else host.rollback_to)

    # ------------------------------------------------------------------------------------------ baking

    def _bake_step(self, plan: PatchPlan) -> bool:
        phase = plan.canary_phases[plan.wave_index]
        now = self.clock.now()
        if phase.bake_until is not None and now < phase.bake_until:
            return False
        verdict, reason = Verdict.PASS, "analysis off: fixed waves"
        subjects = self._subjects(plan) if self.policy.analyse else []
        if self.policy.analyse and not subjects and plan.wave_index > 0:
            reason = "no host of this wave was installed (all skipped): nothing new to judge"
        elif self.policy.analyse:
            check = judge(
                wave=plan.wave_index,
                subjects=subjects,
                start=phase.started_at or now,
                end=now,
                source=self.metrics,
                policy=self.policy,
                anomalies=self.anomalies,
            )
            plan.health_checks = [*plan.health_checks, check][-MAX_HEALTH_CHECKS:]
            verdict, reason = check.verdict, check.reason
        if verdict is Verdict.FAIL:
            phase.status = PatchStatus.FAILED
            self.transition(plan, S.ROLLING_BACK, reason=f"{phase.name} failed its health check: {reason}")
            return True
        if verdict is Verdict.INCONCLUSIVE:
            if not phase.extended:
                phase.extended = True
                phase.bake_until = now + timedelta(seconds=max(phase.bake_seconds, 60.0))
                self.save(plan)
                return False
            self.transition(
                plan, S.PAUSED, reason=f"{phase.name} inconclusive twice: {reason}; approve to go on", kind="approval"
            )
            return False
        self.pass_phase(plan, reason)
        return True

    def pass_phase(self, plan: PatchPlan, reason: str, actor: str = AGENT) -> None:
        """Close the current phase as passed and start the next one, or complete the plan."""
        phase = plan.canary_phases[plan.wave_index]
        phase.status = PatchStatus.COMPLETED
        if plan.wave_index + 1 >= len(plan.canary_phases):
            self.transition(plan, S.COMPLETED, reason=f"{phase.name} passed: {reason}", actor=actor)
            return
        plan.wave_index += 1
        self._start_phase(plan)
        upcoming = plan.canary_phases[plan.wave_index].name
        self.transition(plan, S.WAVE, reason=f"{phase.name} passed: {reason}; {upcoming}", actor=actor)

    def _subjects(self, plan: PatchPlan) -> list[Subject]:
        """The phase's installed hosts, each with its unpatched peers: the same role in the same tenant (they
        share its dependencies, so a fault there shows on both), else the same role anywhere."""
        patched = {h.host for h in plan.affected_hosts if h.status is H.INSTALLED}
        by_role: dict[str, list[tuple[str, str]]] = {}
        for info in self.inventory.hosts():
            if info.name in patched or info.packages.get(plan.package) == plan.fixed_version:
                continue
            by_role.setdefault(info.role, []).append((info.tenant, info.name))
        subjects = []
        for h in self._phase_hosts(plan, H.INSTALLED):
            role = by_role.get(h.role, [])
            local = tuple(name for tenant, name in role if tenant == h.tenant)
            subjects.append(Subject(h.host, h.installed_at or self.clock.now(), local or tuple(n for _, n in role)))
        return subjects

    # ------------------------------------------------------------------------------------------ rolling back

    def _rollback_step(self, plan: PatchPlan) -> bool:
        if self._held(plan):
            return False
        in_flight = [h for h in plan.affected_hosts if h.status is H.ROLLING_BACK]
        if in_flight:
            return self._run_host(plan, in_flight[0], "rollback")
        installing = [h for h in plan.affected_hosts if h.status is H.INSTALLING]
        if installing:
            return self._run_host(plan, installing[0], "install")  # settle it first: it may have taken
        todo = [h for h in plan.affected_hosts if h.status is H.INSTALLED]
        if not todo:
            rolled = sum(1 for h in plan.affected_hosts if h.status is H.ROLLED_BACK)
            self.transition(plan, S.ROLLED_BACK, reason=f"{rolled} hosts back on their previous version")
            return False
        far: datetime = datetime.max.replace(tzinfo=self.clock.now().tzinfo)
        host = max(todo, key=lambda h: (h.installed_at or far, h.host))  # newest install first
        host.status = H.ROLLING_BACK
        self.save(plan)
        return self._run_host(plan, host, "rollback")

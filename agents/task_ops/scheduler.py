"""Scheduled tasks (backups, certificate renewal before expiry, log clean-up) on cron expressions.

`TaskScheduler.tick` runs on the clock it is given (sim time when simulated): every task whose cron slot
has come submits one Executor request per selected target, with an idempotency key naming the task,
slot and target, so a slot is never carried out twice. After a pause only the latest missed slot runs.
Targets are chosen from what the fleet shows now (a host's role, TLS, and observed signals), and every
request meets the same guardrails as any other: with the kill switch on, each is refused and recorded.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from croniter import croniter

from agents.task_ops.autopilot import Submitter
from config.guardrails import ActionSpec, Check
from data.actuation import TargetInfo
from data.errors import InvalidInput
from data.execution import ActionRequest, ExecutedAction
from data.models import LogType

log = logging.getLogger(__name__)

AGENT = "agent:TaskOps"


class FleetView(Protocol):
    def hosts(self) -> list[TargetInfo]:
        """Return every known host."""

    def observe(self, hosts: list[str]) -> Mapping[str, Mapping[str, float]]:
        """Return each host's current signals."""


@dataclass(frozen=True)
class ScheduledTask:
    """Run ``action`` at every ``cron`` slot on the hosts that meet the action's preconditions and ``when``."""

    name: str
    cron: str
    action: str
    description: str
    when: Check | None = None

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise ValueError(f"{self.name}: {self.cron!r} is not a cron expression")

    def next_after(self, moment: datetime) -> datetime:
        """Return the first slot strictly after ``moment`` (aware UTC in, aware UTC out)."""
        following: datetime = croniter(self.cron, moment).get_next(datetime)
        return following


TASKS: tuple[ScheduledTask, ...] = (
    ScheduledTask("nightly-backup", "0 2 * * *", "run_backup", "Run the backup job on every backup host"),
    ScheduledTask(
        "certificate-renewal",
        "0 3 * * *",
        "rotate_certificate",
        "Renew certificates that expire within 21 days",
        Check("cert_days", "<", 21.0),
    ),
    ScheduledTask(
        "log-cleanup", "30 4 * * *", "cleanup_disk", "Clean logs on hosts above 75 % disk", Check("disk", ">", 75.0)
    ),
)


@dataclass
class TaskRun:
    slot: datetime
    targets: int
    states: dict[str, int]


class TaskScheduler:
    """See the module docstring. Call `tick` from one thread."""

    def __init__(
        self,
        executor: Submitter,
        fleet: FleetView,
        catalogue: Mapping[str, ActionSpec],
        clock: Callable[[], datetime],
        tasks: Sequence[ScheduledTask] = TASKS,
        enabled: Callable[[], bool] = lambda: True,
    ) -> None:
        unknown = [t.action for t in tasks if t.action not in catalogue]
        if unknown:
            raise ValueError(f"scheduled actions not in the catalogue: {', '.join(unknown)}")
        self._executor = executor
        self._fleet = fleet
        self._catalogue = catalogue
        self._now = clock
        self.tasks = list(tasks)
        self._enabled = enabled
        start = clock()
        self.next_run = {t.name: t.next_after(start) for t in self.tasks}
        self.last_run: dict[str, TaskRun] = {}

    def tick(self) -> list[ExecutedAction]:
        """Run every task whose slot has come; return the Executor's records."""
        now = self._now()
        records: list[ExecutedAction] = []
        for task in self.tasks:
            slot = self.next_run[task.name]
            if slot > now:
                continue
            while (following := task.next_after(slot)) <= now:
                slot = following  # a long pause: only the latest missed slot runs
            self.next_run[task.name] = following
            if self._enabled():
                records.extend(self._run(task, slot))
        return records

    def targets(self, task: ScheduledTask) -> list[str]:
        """Return the hosts ``task`` would act on now."""
        spec = self._catalogue[task.action]
        eligible = []
        for host in self._fleet.hosts():
            try:
                spec.check_target(host)
            except InvalidInput:
                continue
            eligible.append(host.name)
        if task.when is None or not eligible:
            return eligible
        observed = self._fleet.observe(eligible)
        when = task.when
        return [h for h in eligible if h in observed and when.holds(observed[h].get(when.signal, float("nan")))]

    def _run(self, task: ScheduledTask, slot: datetime) -> list[ExecutedAction]:
        records = []
        tenants = {h.name: h.tenant for h in self._fleet.hosts()}
        for target in self.targets(task):
            request = ActionRequest(
                action=task.action,
                target=target,
                tenant=tenants[target],
                reason=f"scheduled task {task.name} ({task.cron}): {task.description}",
                requested_by=AGENT,
                idempotency_key=f"task:{task.name}:{slot.isoformat()}:{target}",
                correlation_id=f"task:{task.name}:{slot.isoformat()}",
            )
            records.append(self._executor.submit(request))
        states = Counter(r.state.value for r in records)
        self.last_run[task.name] = TaskRun(slot, len(records), dict(states))
        log.info(
            "Scheduled task %s (%s): %d targets, %s",
            task.name,
            slot.isoformat(),
            len(records),
            dict(states) or "nothing to do",
            extra={"log_type": LogType.TASKOPS},
        )
        return records

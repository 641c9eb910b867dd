"""`TaskOps`: the agent that proposes remedies, runs the autopilot and the scheduled tasks on one tick."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agents.task_ops.autopilot import Autopilot, OutcomeLearner, Submitter
from agents.task_ops.proposals import Proposal, Proposer
from agents.task_ops.scheduler import TASKS, FleetView, ScheduledTask, TaskScheduler
from config.guardrails import ActionSpec
from config.knowledge_base import KnowledgeBase
from data.actuation import Inventory
from data.errors import InvalidInput, NotFound
from data.execution import ExecutedAction
from data.timeutil import utc_now


class Fleet(Inventory, FleetView, Protocol):
    """What TaskOps reads of the fleet: targets by name, every host, and current signals."""


@dataclass
class TickResult:
    remedies: list[ExecutedAction]
    scheduled: list[ExecutedAction]


class TaskOps:
    """Proposes remedies for incidents and risks, submits the autonomous ones, runs scheduled tasks.

    Every action goes through ``executor`` (the guarded Executor); ``subscribe_outcomes`` learns from the
    verified outcome of each.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        executor: Submitter,
        fleet: Fleet,
        catalogue: Mapping[str, ActionSpec],
        clock: Callable[[], datetime],
        *,
        autonomy: Callable[[], bool] = lambda: True,
        scheduled: Callable[[], bool] = lambda: True,
        min_confidence: float = 0.5,
        tasks: tuple[ScheduledTask, ...] = TASKS,
    ) -> None:
        self.catalogue = catalogue
        self.proposer = Proposer(catalogue, fleet, kb.get_action_stats)
        self.autopilot = Autopilot(kb, executor, self.proposer, clock, min_confidence=min_confidence, enabled=autonomy)
        self.scheduler = TaskScheduler(executor, fleet, catalogue, clock, tasks, enabled=scheduled)
        self.learner = OutcomeLearner(kb)
        self._kb = kb
        self._lock = threading.Lock()
        self._started = 0
        self._last_started: datetime | None = None

    def propose(self, *, incident_id: str | None = None, risk_id: str | None = None) -> list[Proposal]:
        """Return the candidate actions for one incident or one risk, best first; NotFound when unknown."""
        if incident_id is not None:
            incident = self._kb.get_incident(incident_id)
            if incident is None:
                raise NotFound(f"incident {incident_id} not found")
            alerts = self._kb.list_alerts(incident_id=incident_id, limit=500).items
            return self.proposer.for_incident(incident, alerts)
        if risk_id is not None:
            risk = self._kb.get_risk(risk_id)
            if risk is None:
                raise NotFound(f"risk {risk_id} not found")
            return self.proposer.for_risk(risk)
        raise InvalidInput("incident_id", "give incident_id or risk_id")

    def tick(self) -> TickResult:
        """Run due scheduled tasks, then remedy open incidents; return what was submitted."""
        scheduled = self.scheduler.tick()
        result = TickResult(self.autopilot.run_once(), scheduled)
        started = [r for r in (*result.remedies, *result.scheduled) if r.started_at is not None]
        if started:
            with self._lock:
                self._started += len(started)
                self._last_started = utc_now()
        return result

    def activity(self) -> tuple[int, datetime | None]:
        """Return how many actions TaskOps has had started by the Executor, and when it last did (wall time)."""
        with self._lock:
            return self._started, self._last_started

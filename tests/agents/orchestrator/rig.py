"""A small world for orchestrator tests: a memory knowledge base, one incident with firing alerts on its root
host, TaskOps' real Proposer over a dict inventory, and an Executor fake that records requests and whose
records the test finishes by hand."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agents.orchestrator import Orchestrator
from agents.task_ops import SPECS, Proposer
from config.agent_selector import AgentSelector
from config.knowledge_base import MemoryKnowledgeBase
from config.learning import LearningLoop
from data.clock import ManualClock
from data.execution import ActionRequest, ExecutedAction, ExecutionState
from data.models import Alert, AlertState, Incident, IncidentStatus
from tests.config.executor_fixtures import DictInventory

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOST = "acme-web-1"
DISK = [("ProcessCpuRunaway", "high"), ("HostDiskSpaceCritical", "critical")]


class FakeExecutor:
    """Records requests; answers RUNNING (or the next scripted state); `finish` completes a record."""

    def __init__(self, kb: MemoryKnowledgeBase, clock: ManualClock) -> None:
        self.kb, self.clock = kb, clock
        self.states: list[ExecutionState] = []
        self.requests: list[ActionRequest] = []

    def submit(self, request: ActionRequest) -> ExecutedAction:
        self.requests.append(request)
        state = self.states.pop(0) if self.states else ExecutionState.RUNNING
        record = ExecutedAction(
            id=f"EXA-{len(self.requests)}", request=request, state=state, created_at=self.clock.now(),
            started_at=self.clock.now() if state is ExecutionState.RUNNING else None,
            blocked_by="kill_switch" if state is ExecutionState.BLOCKED else None,
        )  # fmt: skip
        self.kb.save_execution(record)
        return record

    def get(self, action_id: str) -> ExecutedAction | None:
        return self.kb.get_execution(action_id)

    def finish(self, record: ExecutedAction, *, verified: bool) -> None:
        state = ExecutionState.SUCCEEDED if verified else ExecutionState.FAILED
        update = {"state": state, "verified": verified, "finished_at": self.clock.now()}
        self.kb.save_execution(record.model_copy(update=update))


@dataclass
class Steps:
    """The timeline writer seam: keeps each step."""

    steps: list[tuple[str, str, str | None]] = field(default_factory=list)

    def record_step(
        self, incident_id: str, event: str, *, agent: str, details: Mapping[str, Any], processing_state: str | None
    ) -> bool:
        self.steps.append((incident_id, event, processing_state))
        return True


@dataclass
class Rollouts:
    paused: list[str] = field(default_factory=list)

    def pause_on_host(self, host: str, *, reason: str) -> list[str]:
        self.paused.append(host)
        return ["PLAN-1"]


@dataclass
class Rig:
    kb: MemoryKnowledgeBase
    clock: ManualClock
    executor: FakeExecutor
    orchestrator: Orchestrator
    steps: Steps
    rollouts: Rollouts
    selector: AgentSelector
    learning: LearningLoop


def add_incident(
    kb: MemoryKnowledgeBase, incident_id: str, at: datetime, alerts: list[tuple[str, str]] = DISK, host: str = HOST
) -> Incident:
    incident = Incident(id=incident_id, title="t", tenant="acme", rootCauseHost=host, createdAt=at, updatedAt=at)
    kb.save_incidents([incident])
    kb.save_alerts(
        [
            Alert(
                fingerprint=f"{incident_id}-{name}", incident_id=incident_id, startsAt=at, lastSeen=at,
                labels={"alertname": name, "instance": host, "severity": sev, "tenant": "acme"},
                status=AlertState.FIRING,
            )
            for name, sev in alerts
        ]
    )  # fmt: skip
    return incident


def resolve(kb: MemoryKnowledgeBase, incident_id: str, at: datetime) -> None:
    incident = kb.get_incident(incident_id)
    assert incident is not None
    kb.save_incidents([incident.model_copy(update={"status": IncidentStatus.RESOLVED, "resolvedAt": at})])


def rig(*, learning: bool = True, **options: Any) -> Rig:
    kb = MemoryKnowledgeBase()
    clock = ManualClock(T0)
    executor = FakeExecutor(kb, clock)
    steps, rollouts = Steps(), Rollouts()
    selector = AgentSelector(kb, learning=learning)
    loop = LearningLoop(kb, enabled=learning, rng=random.Random(7))
    options = {"min_confidence": 0.2, **options}
    orchestrator = Orchestrator(
        kb, executor, Proposer(SPECS, DictInventory(), lambda key: None), selector, loop, clock.now,
        timeline=steps, rollouts=rollouts, **options,
    )  # fmt: skip
    return Rig(kb, clock, executor, orchestrator, steps, rollouts, selector, loop)


def settle(r: Rig) -> None:
    r.clock.advance(120)

"""The autopilot: waits for an incident to settle, submits the best untried remedy, never two at once,
retries refusals only after a pause, moves to the next candidate after a failed verification, and the
learner records verified outcomes per symptom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.task_ops import SPECS, Autopilot, OutcomeLearner, Proposer
from config.knowledge_base import MemoryKnowledgeBase
from data.clock import ManualClock
from data.execution import ActionRequest, ExecutedAction, ExecutionState
from data.models import Alert, AlertState, Incident
from tests.config.executor_fixtures import DictInventory

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOST = "acme-web-1"


class Submitter:
    """Records requests and answers with the next scripted state (RUNNING by default)."""

    def __init__(self, kb: MemoryKnowledgeBase, clock: ManualClock) -> None:
        self.kb, self.clock = kb, clock
        self.states: list[ExecutionState] = []
        self.requests: list[ActionRequest] = []

    def submit(self, request: ActionRequest) -> ExecutedAction:
        self.requests.append(request)
        state = self.states.pop(0) if self.states else ExecutionState.RUNNING
        record = ExecutedAction(
            id=f"EXA-{len(self.requests)}", request=request, state=state, created_at=self.clock.now(),
            blocked_by="kill_switch" if state is ExecutionState.BLOCKED else None,
        )  # fmt: skip
        self.kb.save_execution(record)
        return record


def setup() -> tuple[MemoryKnowledgeBase, ManualClock, Submitter, Autopilot]:
    kb = MemoryKnowledgeBase()
    clock = ManualClock(T0)
    kb.save_incidents([Incident(id="INC-1", title="t", rootCauseHost=HOST, createdAt=T0, updatedAt=T0)])
    alerts = [("ProcessCpuRunaway", "high"), ("HostDiskSpaceCritical", "critical")]
    kb.save_alerts(
        [
            Alert(
                fingerprint=name, incident_id="INC-1", labels={"alertname": name, "instance": HOST, "severity": sev},
                status=AlertState.FIRING, startsAt=T0, lastSeen=T0,
            )
            for name, sev in alerts
        ]
    )  # fmt: skip
    submitter = Submitter(kb, clock)
    proposer = Proposer(SPECS, DictInventory(), kb.get_action_stats)
    autopilot = Autopilot(kb, submitter, proposer, clock.now, min_confidence=0.2, settle_s=120, retry_after_s=300)
    return kb, clock, submitter, autopilot


def finish(kb: MemoryKnowledgeBase, record: ExecutedAction, state: ExecutionState) -> None:
    kb.save_execution(record.model_copy(update={"state": state}))


def test_settle_then_best_remedy_then_nothing_while_it_runs() -> None:
    _, clock, _, autopilot = setup()
    assert autopilot.run_once() == []  # not settled yet
    clock.advance(120)
    [record] = autopilot.run_once()
    assert record.request.action == "cleanup_disk" and record.request.incident_id == "INC-1"
    assert record.request.reason.startswith("disk_full: HostDiskSpaceCritical on acme-web-1")
    assert record.request.requested_by == "agent:TaskOps" and record.request.confidence == 0.48
    assert autopilot.run_once() == []  # in flight


def test_a_refusal_is_retried_after_the_pause_and_a_failure_moves_on() -> None:
    kb, clock, submitter, autopilot = setup()
    clock.advance(120)
    submitter.states = [ExecutionState.BLOCKED]
    assert autopilot.run_once()[0].state is ExecutionState.BLOCKED
    clock.advance(299)
    assert autopilot.run_once() == []
    clock.advance(1)
    [again] = autopilot.run_once()
    assert again.request.action == "cleanup_disk"
    finish(kb, again, ExecutionState.FAILED)
    [following] = autopilot.run_once()
    assert following.request.action == "expand_disk"  # the next candidate, never the failed one again
    finish(kb, following, ExecutionState.SUCCEEDED)
    assert autopilot.run_once() == []  # remedied


def test_a_remedy_that_failed_on_a_target_is_not_retried_there_for_another_incident() -> None:
    kb, clock, _, autopilot = setup()
    clock.advance(120)
    [record] = autopilot.run_once()
    kb.save_execution(record.model_copy(update={"state": ExecutionState.FAILED, "verified": False}))
    kb.save_incidents([Incident(id="INC-2", title="again", rootCauseHost=HOST, createdAt=clock.now(), updatedAt=T0)])
    for alert in kb.list_alerts(incident_id="INC-1").items:
        kb.save_alerts([alert.model_copy(update={"fingerprint": alert.fingerprint + "-2", "incident_id": "INC-2"})])
    clock.advance(120)
    actions = [(r.request.incident_id, r.request.action) for r in autopilot.run_once()]
    assert ("INC-2", "cleanup_disk") not in actions and ("INC-2", "expand_disk") in actions
    clock.advance(6 * 3600)
    kb.save_incidents([Incident(id="INC-3", title="later", rootCauseHost=HOST, createdAt=clock.now(), updatedAt=T0)])
    for alert in kb.list_alerts(incident_id="INC-1").items:
        kb.save_alerts([alert.model_copy(update={"fingerprint": alert.fingerprint + "-3", "incident_id": "INC-3"})])
    clock.advance(120)
    assert ("INC-3", "cleanup_disk") in [(r.request.incident_id, r.request.action) for r in autopilot.run_once()]


def test_disabled_autonomy_submits_nothing() -> None:
    kb, clock, submitter, _ = setup()
    proposer = Proposer(SPECS, DictInventory(), kb.get_action_stats)
    off = Autopilot(kb, submitter, proposer, clock.now, enabled=lambda: False)
    clock.advance(600)
    assert off.run_once() == [] and submitter.requests == []


def test_the_learner_counts_verified_outcomes_per_symptom() -> None:
    kb, clock, _, autopilot = setup()
    clock.advance(120)
    [record] = autopilot.run_once()
    assert record.request.context == {"symptom": "disk_full", "role": "web"}
    learner = OutcomeLearner(kb)
    learner(record.model_copy(update={"state": ExecutionState.SUCCEEDED, "verified": True}))
    learner(record.model_copy(update={"state": ExecutionState.FAILED, "verified": False}))
    learner(record.model_copy(update={"state": ExecutionState.UNKNOWN, "verified": None}))  # nothing known
    assert kb.get_action_stats("disk_full@web->cleanup_disk") == {"trials": 2, "verified": 1}
    person = record.request.model_copy(update={"requested_by": "user:ana"})
    learner(record.model_copy(update={"request": person, "verified": True}))
    assert kb.get_action_stats("disk_full@web->cleanup_disk") == {"trials": 2, "verified": 1}
    assert clock.now() - T0 == timedelta(seconds=120)

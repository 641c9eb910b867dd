"""The agent registry: registration order, one name once, state from autonomy and the pause condition."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.base import Activity, AgentRegistry, AgentState

T0 = datetime(2026, 5, 1, tzinfo=UTC)


class Counting:
    def __init__(self, actions: int, last: datetime | None) -> None:
        self.actions, self.last = actions, last

    def activity(self) -> tuple[int, datetime | None]:
        return self.actions, self.last


def test_agents_are_listed_in_registration_order_with_their_activity() -> None:
    registry = AgentRegistry()
    source = Counting(0, None)
    registry.register("AlertOps", source)
    registry.register("PredictiveOps", Counting(3, T0))
    assert [a.name for a in registry.agents()] == ["AlertOps", "PredictiveOps"]
    first, second = registry.agents()
    assert first.activity() == Activity(0, None) and second.activity() == Activity(3, T0)
    source.actions, source.last = 2, T0
    assert first.activity() == Activity(2, T0)  # read from the engine at every call


def test_a_name_is_registered_once() -> None:
    registry = AgentRegistry()
    registry.register("AlertOps", Counting(0, None))
    with pytest.raises(ValueError, match="AlertOps"):
        registry.register("AlertOps", Counting(0, None))
    assert len(registry.agents()) == 1


def test_only_autonomous_agents_are_paused() -> None:
    paused = False
    registry = AgentRegistry(paused=lambda: paused)
    watcher = registry.register("Watcher", Counting(0, None))
    actor = registry.register("Actor", Counting(0, None), autonomous=True)
    assert (watcher.state(), actor.state()) == (AgentState.ACTIVE, AgentState.ACTIVE)
    paused = True
    assert (watcher.state(), actor.state()) == (AgentState.ACTIVE, AgentState.PAUSED)
    assert actor.autonomous and not watcher.autonomous


class Healthy(Counting):
    def __init__(self) -> None:
        super().__init__(0, None)
        self.now = AgentState.IDLE

    def health(self) -> AgentState:
        return self.now


def test_an_engine_that_reports_its_health_is_idle_active_or_failing_unless_paused() -> None:
    paused = False
    registry = AgentRegistry(paused=lambda: paused)
    source = Healthy()
    agent = registry.register("Orchestrator", source, autonomous=True)
    assert agent.state() is AgentState.IDLE
    source.now = AgentState.FAILING
    assert agent.state() is AgentState.FAILING
    paused = True
    assert agent.state() is AgentState.PAUSED  # the kill switch wins


def test_requester_activity_counts_started_records_of_its_requester_only() -> None:
    from agents.base import RequesterActivity
    from data.execution import ActionRequest, ExecutedAction, ExecutionState

    def record(by: str, started: bool) -> ExecutedAction:
        request = ActionRequest(action="apply_patch", target="h1", tenant="acme", reason="r", requested_by=by)
        return ExecutedAction(id="E", request=request, state=ExecutionState.SUCCEEDED, created_at=T0,
                              started_at=T0 if started else None)  # fmt: skip

    activity = RequesterActivity("agent:PatchOps", lambda: T0)
    assert activity.activity() == (0, None)
    activity(record("agent:PatchOps", True))
    activity(record("agent:PatchOps", False))  # refused before it started
    activity(record("agent:TaskOps", True))
    assert activity.activity() == (1, T0)

"""Scheduled tasks: cron slots on the given clock, targets from role and observed signals, one request per
slot and target (idempotent), only the latest missed slot after a pause, and the kill switch refusing them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from agents.task_ops import SPECS, TASKS, ScheduledTask, TaskScheduler
from config.guardrails import Check, Limits
from data.actuation import TargetInfo
from data.clock import ManualClock
from data.execution import ExecutionState
from tests.config.executor_fixtures import SPECS as TEST_SPECS
from tests.config.executor_fixtures import rig

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


class Fleet:
    def __init__(self, signals: dict[str, dict[str, float]]) -> None:
        self.signals = signals

    def hosts(self) -> list[TargetInfo]:
        return [
            TargetInfo("acme-backup-1", "acme", "acme-backup", "backup", ("acme-backup-1",), ("acme-backup-1",)),
            TargetInfo("acme-web-1", "acme", "acme-web", "web", ("acme-web-1",), ("acme-web-1", "acme-web-2"), True),
            TargetInfo("acme-web-2", "acme", "acme-web", "web", ("acme-web-2",), ("acme-web-1", "acme-web-2"), True),
        ]

    def observe(self, hosts: list[str]) -> Mapping[str, Mapping[str, float]]:
        return {h: self.signals[h] for h in hosts if h in self.signals}


def test_cron_expressions_are_validated() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        ScheduledTask("bad", "61 * * * *", "run_backup", "x")
    assert TASKS[0].next_after(T0) == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_targets_follow_preconditions_and_observed_signals() -> None:
    fleet = Fleet({"acme-web-1": {"cert_days": 10.0, "disk": 50.0}, "acme-web-2": {"cert_days": 200.0, "disk": 90.0}})
    with rig() as r:
        scheduler = TaskScheduler(r.executor, fleet, SPECS, ManualClock(T0).now)
        names = {t.name: scheduler.targets(t) for t in scheduler.tasks}
    assert names == {
        "nightly-backup": ["acme-backup-1"],
        "certificate-renewal": ["acme-web-1"],
        "log-cleanup": ["acme-web-2"],
    }


def test_a_slot_runs_once_through_the_executor_and_a_pause_runs_only_the_latest() -> None:
    task = ScheduledTask("hourly-clean", "0 * * * *", "low_fix", "clean", Check("disk", ">", 75.0))
    signals = {"acme-web-1": {"disk": 90.0}, "acme-web-2": {"disk": 10.0}}
    with rig(limits=Limits(cooldown_s=0, retry_backoff_s=0)) as r:
        start = r.clock.now()  # 12:00
        scheduler = TaskScheduler(r.executor, Fleet(signals), TEST_SPECS, r.clock.now, [task])
        assert scheduler.tick() == []
        r.clock.set(start + timedelta(hours=1))
        first = scheduler.tick()
        assert [rec.request.target for rec in first] == ["acme-web-1"]
        assert first[0].request.idempotency_key == "task:hourly-clean:2026-11-24T13:00:00+00:00:acme-web-1"
        assert scheduler.tick() == []  # the same slot never runs twice
        assert r.executor.wait(first[0].id, 5).state is ExecutionState.SUCCEEDED
        r.clock.set(start + timedelta(hours=5, minutes=30))
        late = scheduler.tick()
        assert len(late) == 1 and late[0].request.correlation_id == "task:hourly-clean:2026-11-24T17:00:00+00:00"
        assert scheduler.next_run["hourly-clean"] == start + timedelta(hours=6)
        assert scheduler.last_run["hourly-clean"].targets == 1
        assert r.executor.wait(late[0].id, 5).state is ExecutionState.SUCCEEDED

        r.switch.set(True, reason="freeze", actor="user:ana")
        r.clock.set(start + timedelta(hours=6))
        refused = scheduler.tick()
        assert [(rec.state, rec.blocked_by) for rec in refused] == [(ExecutionState.BLOCKED, "kill_switch")]
        assert len(r.actuator.calls) == 2


def test_unknown_actions_are_refused_at_construction() -> None:
    with rig() as r, pytest.raises(ValueError, match="not in the catalogue"):
        TaskScheduler(r.executor, Fleet({}), {}, ManualClock(T0).now)

"""Telemetry counts final action records: by action and state, guardrail refusals by rule, roll-out steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.telemetry import Telemetry
from data.execution import ActionRequest, ExecutedAction, ExecutionState

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def record(action: str, state: ExecutionState, **fields: object) -> ExecutedAction:
    request = ActionRequest(action=action, target="h1", tenant="acme", reason="r", requested_by="agent:X")
    return ExecutedAction.model_validate({"id": "E", "request": request, "state": state, "created_at": T0, **fields})


def test_final_records_are_counted_and_timed() -> None:
    t = Telemetry()
    t.action_finished(
        record("restart_service", ExecutionState.SUCCEEDED, started_at=T0, finished_at=T0 + timedelta(seconds=4))
    )
    t.action_finished(record("restart_service", ExecutionState.BLOCKED, blocked_by="cooldown"))
    t.action_finished(record("apply_patch", ExecutionState.FAILED))
    text = t.render()[0].decode()
    assert 'opsforge_actions_total{action="restart_service",state="succeeded"} 1.0' in text
    assert 'opsforge_guardrail_blocks_total{rule="cooldown"} 1.0' in text
    assert 'opsforge_rollout_steps_total{action="apply_patch",state="failed"} 1.0' in text
    assert 'opsforge_action_seconds_bucket{action="restart_service",le="5.0"} 1.0' in text
    assert 'opsforge_action_seconds_bucket{action="restart_service",le="1.0"} 0.0' in text
    assert (
        "opsforge_actions_total" not in Telemetry().render()[0].decode().split("# TYPE opsforge_actions_total")[1][:40]
    )

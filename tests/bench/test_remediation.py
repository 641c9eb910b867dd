"""Autonomy end to end on the simulator: a fault with a low-risk remedy is fixed by TaskOps through the
Executor and its incident resolves; with the kill switch on nothing is done and the incident stays open."""

from __future__ import annotations

import pytest

from bench.remediation import SimulatedOps, summarise
from data.execution import ExecutionState
from data.models import IncidentStatus


def quiet(kill_switch: bool) -> SimulatedOps:
    return SimulatedOps(5, kill_switch=kill_switch, random_faults=False, noise=False, auto_end=False)


@pytest.mark.parametrize(("scenario", "remedy"), [("cache_miss_storm", "clear_cache"), ("dns_failure", "flush_dns")])
def test_a_low_risk_fault_is_fixed_autonomously_and_its_incident_resolves(scenario: str, remedy: str) -> None:
    ops = quiet(kill_switch=False)
    try:
        ops.step(2)
        fault = ops.world.inject(scenario)
        ops.step(60)
        incidents = [i for i in ops.incidents() if i.rootCauseHost == fault.root_host]
        assert incidents, "AlertOps opened no incident rooted on the faulty host"
        fixes = [r for r in ops.executions() if r.request.action == remedy and r.request.target == fault.root_host]
        assert len(fixes) == 1 and fixes[0].state is ExecutionState.SUCCEEDED and fixes[0].verified
        assert fixes[0].request.incident_id in {i.id for i in incidents}
        assert ops.world.truth.fault(fault.id).end_reason == remedy
        assert all(i.status is IncidentStatus.RESOLVED for i in incidents)
        audit = ops.kb.list_audit(incident_id=fixes[0].request.incident_id, limit=50).items
        assert {"action.started", "action.succeeded"} <= {e.action for e in audit}
        assert summarise(ops).wrong == 0
    finally:
        ops.close()


def test_with_the_kill_switch_on_nothing_is_done_and_the_incident_stays_open() -> None:
    ops = quiet(kill_switch=True)
    try:
        ops.step(2)
        fault = ops.world.inject("cache_miss_storm")
        ops.step(60)
        incidents = [i for i in ops.incidents() if i.rootCauseHost == fault.root_host]
        assert incidents and all(i.status is not IncidentStatus.RESOLVED for i in incidents)
        records = ops.executions()
        assert records and all(r.state is ExecutionState.BLOCKED and r.blocked_by == "kill_switch" for r in records)
        assert all(r.attempts == 0 for r in records)
        assert ops.world.truth.fault(fault.id).ended_at is None
        blocked = ops.kb.list_audit(action="action.blocked", limit=5).items
        assert blocked and "kill switch is active" in blocked[0].reason
    finally:
        ops.close()

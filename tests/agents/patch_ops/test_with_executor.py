"""PatchOps through the real guarded Executor (its guardrails, records, audit and kill switch) on the
simulated fleet."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from config.guardrails import Limits
from data.execution import ExecutionState
from data.models import HostPatchStatus, RolloutState
from tests.agents.patch_ops.sim import PatchSim
from tests.agents.patch_ops.test_rollout import bad_canary_advisory, good_advisory

S = RolloutState
H = HostPatchStatus
FINISHED = (S.COMPLETED, S.ROLLED_BACK, S.FAILED)


@pytest.fixture
def sim() -> Iterator[PatchSim]:
    sim = PatchSim(real_executor=True, limits=Limits(retry_backoff_s=0.0, timeout_s=5.0, rate_tenant_per_hour=100))
    yield sim
    sim.stop()


def test_good_patch_through_the_executor_one_record_per_host(sim: PatchSim) -> None:
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    done = sim.run_until(lambda p: p.state in (*FINISHED, S.PAUSED), plan.id)
    assert done.state is S.COMPLETED, done.pause_reason
    records = sim.kb.list_executions(correlation_id=plan.id, limit=500).items
    assert sorted(r.request.target for r in records) == sorted(h.host for h in done.affected_hosts)
    assert all(r.state is ExecutionState.SUCCEEDED and r.request.requested_by == "user:test" for r in records)
    assert all(sim.actuator.count("apply_patch", h.host) == 1 for h in done.affected_hosts)


def test_bad_canary_rolled_back_through_the_executor(sim: PatchSim) -> None:
    advisory = bad_canary_advisory(sim)
    plan = sim.plan_for(advisory)
    done = sim.run_until(lambda p: p.state in (*FINISHED, S.PAUSED), plan.id)
    assert done.state is S.ROLLED_BACK, done.pause_reason
    canary = set(done.canary_phases[0].hosts)
    assert {h for a, h in sim.actuator.calls if a == "apply_patch"} == canary
    rollbacks = [r for r in sim.kb.list_executions(correlation_id=plan.id, limit=500).items
                 if r.request.action == "rollback_patch"]  # fmt: skip
    assert {r.request.target for r in rollbacks} == canary
    assert all(sim.version(h, advisory.package) != advisory.fixed_version for h in canary)


def test_policy_approved_plan_waits_for_a_person_on_each_install(sim: PatchSim) -> None:
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory, approve=False)
    sim.ops.approve(plan.id, actor="policy", reason="auto")  # not a person: the agent's own request
    sim.run(3)
    held = sim.ops.get(plan.id)
    host = next(h for h in held.affected_hosts if h.status is H.INSTALLING)
    assert host.action_id is not None
    record = sim.executor.get(host.action_id)
    assert record is not None and record.state is ExecutionState.AWAITING_APPROVAL
    assert sim.actuator.count("apply_patch") == 0
    sim.real.approve(host.action_id, actor="user:oncall", reason="ok")
    sim.run(2)
    assert sim.actuator.count("apply_patch", host.host) == 1


def test_no_install_starts_after_the_kill_switch_returns(sim: PatchSim) -> None:
    advisory = good_advisory(sim, min_hosts=10)
    plan = sim.plan_for(advisory)
    sim.run_until(lambda p: p.state is S.BAKING and p.wave_index == 0, plan.id)
    left_wave = lambda p: p.state is not S.WAVE and p.wave_index > 0  # noqa: E731
    runner = threading.Thread(target=sim.run_until, args=(left_wave, plan.id))
    runner.start()
    while sim.ops.get(plan.id).state is not S.WAVE:
        pass
    sim.switch.set(True, reason="test", actor="user:ops")
    started_before = started(sim, plan.id)  # an install whose start was registered may still be finishing
    runner.join(60)
    sim.run(10)
    assert started(sim, plan.id) == started_before
    assert sim.actuator.count("apply_patch") <= len(started_before)  # the worker checks the switch again
    assert sim.ops.get(plan.id).state is S.PAUSED


def started(sim: PatchSim, plan_id: str) -> set[str]:
    records = sim.kb.list_executions(correlation_id=plan_id, limit=1000).items
    return {r.id for r in records if r.request.action == "apply_patch" and r.state is not ExecutionState.BLOCKED}

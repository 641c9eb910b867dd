"""The roll-out state machine on a simulated fleet, every action through the (fake) Executor."""

from __future__ import annotations

from datetime import time

import pytest

from agents.patch_ops import ActionRequest, ExecutionState, MaintenanceWindows, RolloutPolicy
from agents.patch_ops.preflight import request_for
from data.advisories import Advisory
from data.errors import Conflict
from data.models import HostPatchStatus, PatchStatus, RolloutState, Verdict
from tests.agents.patch_ops.fakes import FakeExecutor
from tests.agents.patch_ops.sim import PatchSim

S = RolloutState
H = HostPatchStatus


def good_advisory(sim: PatchSim, min_hosts: int = 6) -> Advisory:
    return next(a for a in sim.advisories() if not sim.bad_hosts(a) and len(a.affected_hosts) >= min_hosts)


def bad_canary_advisory(sim: PatchSim) -> Advisory:
    """An advisory whose planned canary includes a host the patch breaks."""
    for advisory in sim.advisories():
        bad = sim.bad_hosts(advisory)
        if bad and len(advisory.affected_hosts) >= 6:
            canary = set(sim.preview(advisory).canary_phases[0].hosts)
            if canary & bad:
                return advisory
    raise AssertionError("no bad advisory hits its canary in this seed")


def test_good_patch_reaches_every_host_once_through_the_waves() -> None:
    sim = PatchSim()
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    assert plan.state is S.APPROVED and plan.status is PatchStatus.PENDING
    done = sim.run_until(lambda p: p.state in (S.COMPLETED, S.ROLLED_BACK, S.PAUSED, S.FAILED), plan.id)
    assert done.state is S.COMPLETED, done.pause_reason
    assert done.status is PatchStatus.COMPLETED and done.progress == 100
    for host in done.affected_hosts:
        assert host.status is H.INSTALLED
        assert sim.actuator.count("apply_patch", host.host) == 1
        assert sim.version(host.host, advisory.package) == advisory.fixed_version
    assert sim.actuator.count("rollback_patch") == 0
    assert [c.verdict for c in done.health_checks] == [Verdict.PASS] * len(done.canary_phases)
    check = done.health_checks[0]
    assert check.comparisons and all(c.n_patched >= 8 for c in check.comparisons)
    assert check.chart and {"t", "patched", "peers"} <= set(check.chart[0])
    # every transition is audited, in order, and the stored plan is what the engine holds
    moves = [(e.details["from"], e.details["to"]) for e in sim.audits if e.target == plan.id]
    assert moves[0] == ("draft", "draft") and moves[1] == ("draft", "approved")
    assert ("approved", "preflight") in moves and ("preflight", "canary") in moves
    assert moves[-1][1] == "completed"
    assert sum(1 for _, to in moves if to == "baking") == len(done.canary_phases)


def test_bad_patch_is_stopped_at_the_canary_and_rolled_back() -> None:
    sim = PatchSim()
    advisory = bad_canary_advisory(sim)
    plan = sim.plan_for(advisory)
    canary = set(plan.canary_phases[0].hosts)
    done = sim.run_until(lambda p: p.state in (S.COMPLETED, S.ROLLED_BACK, S.PAUSED, S.FAILED), plan.id)
    assert done.state is S.ROLLED_BACK
    assert done.health_checks[-1].verdict is Verdict.FAIL and done.health_checks[-1].wave == 0
    failing = {c.host for c in done.health_checks[-1].comparisons if c.verdict is Verdict.FAIL}
    assert failing and failing <= sim.bad_hosts(advisory)
    installed = {h for a, h in sim.actuator.calls if a == "apply_patch"}
    assert installed == canary  # nothing beyond the canary ever ran it
    for host in done.affected_hosts:
        assert sim.version(host.host, advisory.package) == host.rollback_to
        assert host.status in ((H.ROLLED_BACK,) if host.host in canary else (H.PENDING,))
    assert done.canary_phases[0].status is PatchStatus.FAILED
    assert done.status is PatchStatus.ROLLED_BACK


def test_kill_switch_pauses_between_hosts_and_nothing_installs_until_resumed() -> None:
    sim = PatchSim()
    advisory = good_advisory(sim, min_hosts=10)
    plan = sim.plan_for(advisory)
    sim.run_until(lambda p: p.state is S.BAKING and p.wave_index == 0, plan.id)
    seen = sim.actuator.count("apply_patch")

    def flip_during_second_install(request: ActionRequest) -> ExecutionState | None:
        # an operator flips the switch while a wave is being installed
        if sim.actuator.count("apply_patch") == seen + 1:
            sim.kill = True
        return None

    sim.fake.gate = flip_during_second_install
    sim.run_until(lambda p: p.state is S.PAUSED, plan.id)
    paused = sim.ops.get(plan.id)
    assert paused.pause_kind == "kill_switch" and paused.paused_from is S.WAVE
    assert sim.actuator.count("apply_patch") == seen + 2  # the one in flight finished, the next never started
    sim.run(30)
    assert sim.actuator.count("apply_patch") == seen + 2
    with pytest.raises(Conflict):
        sim.ops.resume(plan.id, actor="user:ops", reason="too early")
    sim.kill = False
    sim.run(5)
    assert sim.ops.get(plan.id).state is S.PAUSED  # the operator pulled the brake; an operator releases it
    sim.ops.resume(plan.id, actor="user:ops", reason="all clear")
    done = sim.run_until(lambda p: p.state in (S.COMPLETED, S.ROLLED_BACK, S.FAILED), plan.id)
    assert done.state is S.COMPLETED
    assert all(sim.actuator.count("apply_patch", h.host) == 1 for h in done.affected_hosts)


def test_kill_switch_refusal_by_the_executor_pauses_without_losing_the_host() -> None:
    sim = PatchSim()
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    calls = {"n": 0}

    def refuse_second(request: ActionRequest) -> ExecutionState | None:
        # the switch flips between the engine's check and the Executor's
        calls["n"] += 1
        return ExecutionState.BLOCKED if calls["n"] == 2 else None

    sim.fake.gate = refuse_second
    sim.run_until(lambda p: p.state is S.PAUSED, plan.id)
    paused = sim.ops.get(plan.id)
    assert paused.pause_kind == "blocked"
    refused = [h for h in paused.affected_hosts if h.attempt == 1]
    assert len(refused) == 1 and refused[0].status is H.PENDING
    sim.ops.resume(plan.id, actor="user:ops", reason="retry")
    done = sim.run_until(lambda p: p.state in (S.COMPLETED, S.ROLLED_BACK, S.FAILED), plan.id)
    assert done.state is S.COMPLETED
    keys = [r.idempotency_key for r in sim.fake.submitted if r.target == refused[0].host]
    assert keys == [f"patch:{plan.id}:{refused[0].host}:install:0", f"patch:{plan.id}:{refused[0].host}:install:1"]


def test_awaiting_approval_holds_the_host_then_continues() -> None:
    sim = PatchSim()
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    sim.fake.gate = lambda request: ExecutionState.AWAITING_APPROVAL
    sim.run(5)
    waiting = sim.ops.get(plan.id)
    assert waiting.state is S.CANARY
    host = next(h for h in waiting.affected_hosts if h.status is H.INSTALLING)
    assert sim.actuator.count("apply_patch") == 0
    sim.fake.gate = lambda request: None
    assert host.action_id is not None
    sim.fake.resolve(host.action_id, ExecutionState.SUCCEEDED)
    sim.run(2)
    after = sim.ops.get(plan.id)
    assert next(h for h in after.affected_hosts if h.host == host.host).status is H.INSTALLED
    assert sim.actuator.count("apply_patch", host.host) == 1


def test_closed_maintenance_window_pauses_and_reopens_by_itself() -> None:
    sim = PatchSim(windows=MaintenanceWindows("*=04:00-05:00"))
    assert sim.now().time() < time(4, 0)
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    sim.run(3)
    paused = sim.ops.get(plan.id)
    assert paused.state is S.PAUSED and paused.pause_kind == "window"
    assert sim.actuator.count("apply_patch") == 0
    sim.run_until(lambda p: p.state is not S.PAUSED, plan.id, limit=180)
    assert sim.now().time() >= time(4, 0)
    sim.run(2)
    assert sim.actuator.count("apply_patch") >= 1


def test_inconclusive_analysis_extends_the_bake_once_then_asks_for_approval() -> None:
    # with no baseline before the installs and too few samples to judge, nothing can be concluded
    sim = PatchSim(policy=RolloutPolicy(min_samples=10_000), history_min=2)
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    paused = sim.run_until(lambda p: p.state is S.PAUSED, plan.id)
    assert paused.pause_kind == "approval"
    assert [c.verdict for c in paused.health_checks] == [Verdict.INCONCLUSIVE, Verdict.INCONCLUSIVE]
    assert paused.canary_phases[0].extended
    second = paused.health_checks[1]
    assert (second.window_end - second.window_start).total_seconds() >= 2 * paused.canary_phases[0].bake_seconds
    installs = sim.actuator.count("apply_patch")
    assert installs == paused.canary_size
    sim.ops.approve(plan.id, actor="user:ops", reason="seen enough")
    assert sim.ops.get(plan.id).state is S.WAVE
    sim.run(3)
    assert sim.actuator.count("apply_patch") > installs


def test_operator_commands_are_checked_against_the_state() -> None:
    sim = PatchSim()
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory, approve=False)
    assert plan.state is S.DRAFT
    with pytest.raises(Conflict):
        sim.ops.pause(plan.id, actor="user:ops", reason="")
    with pytest.raises(Conflict):
        sim.ops.resume(plan.id, actor="user:ops", reason="")
    with pytest.raises(Conflict):
        sim.ops.create_plan(advisory.id, actor="user:ops")  # one open plan per advisory
    sim.ops.approve(plan.id, actor="user:ops", reason="go")
    with pytest.raises(Conflict):
        sim.ops.approve(plan.id, actor="user:ops", reason="again")
    sim.run_until(lambda p: p.state is S.BAKING, plan.id)
    sim.ops.pause(plan.id, actor="user:ops", reason="change freeze")
    sim.run(60)
    assert sim.ops.get(plan.id).state is S.PAUSED
    sim.ops.rollback(plan.id, actor="user:ops", reason="not today")
    done = sim.run_until(lambda p: p.state is S.ROLLED_BACK, plan.id)
    assert all(sim.version(h.host, advisory.package) == h.rollback_to for h in done.affected_hosts)
    with pytest.raises(Conflict):
        sim.ops.rollback(plan.id, actor="user:ops", reason="twice")
    actors = {e.actor for e in sim.audits if e.target == plan.id}
    assert {"user:ops", "agent:PatchOps"} <= actors


@pytest.mark.parametrize("record_state", ["succeeded", "running"])
def test_a_stored_plan_resumes_in_a_new_engine_without_repeating_a_host(record_state: str) -> None:
    sim = PatchSim()
    advisory = good_advisory(sim)
    plan = sim.plan_for(advisory)
    sim.run_until(lambda p: p.state is S.BAKING and p.wave_index == 0, plan.id)
    # the process dies right after a wave-1 install was stored as intent and sent to the Executor, which
    # either finished it or was still running it (its record then says RUNNING)
    stored = sim.ops.get(plan.id)
    sim.engine.pass_phase(stored, "test")
    host = next(h for h in stored.affected_hosts if h.wave == 1)
    host.status = H.INSTALLING
    sim.kb.save_patch_plan(stored)
    record = sim.executor.submit(request_for(stored, host, "install"))
    if record_state == "running":
        sim.fake._store(record.model_copy(update={"state": ExecutionState.RUNNING}))
    assert sim.actuator.count("apply_patch", host.host) == 1
    # a new process: new Executor (it marks what it left running UNKNOWN), new engine, same store and fleet
    restarted = PatchSim.__new__(PatchSim)
    restarted.__dict__.update(sim.__dict__)
    restarted.executor = FakeExecutor(sim.kb, sim.actuator, kill_switch=lambda: False, now=sim.now)
    restarted.engine = type(sim.engine)(
        save=sim.kb.save_patch_plan,
        executor=restarted.executor,
        inventory=sim.inventory,
        metrics=sim.store,
        clock=restarted,
        kill_switch_active=lambda: False,
        audit=sim.kb.append_audit,
        policy=sim.engine.policy,
    )
    restarted.ops = type(sim.ops)(sim.kb, restarted.engine)
    done = restarted.run_until(lambda p: p.state in (S.COMPLETED, S.ROLLED_BACK, S.FAILED), plan.id)
    assert done.state is S.COMPLETED
    assert all(sim.actuator.count("apply_patch", h.host) == 1 for h in done.affected_hosts)
    resumed = next(h for h in done.affected_hosts if h.host == host.host)
    assert resumed.status is H.INSTALLED and resumed.attempt == 0
    if record_state == "running":
        assert "the version shows it took" in resumed.note

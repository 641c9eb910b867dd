"""Patch safety: seeded simulated advisories rolled out by PatchOps through the guarded Executor, next to an
"all at once" policy and "fixed waves without analysis" on the same advisories, plus kill-switch flips.

Each advisory runs in a fresh simulated world of its seed (noise and random faults on, as in operation),
after 40 minutes of history for the baselines; plans are approved by an operator; the Executor's rate
limits are raised so the policies are compared on their own (its other guardrails stay). The simulator's
ground truth says which patches are bad and on which hosts; PatchOps never reads it.

    python -m bench.patch_safety                 # every distinct advisory of seeds 1-14 (about 200)
    python -m bench.patch_safety --seeds 2 --per-seed 5
"""

from __future__ import annotations

import argparse
import logging
import platform
import random
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agents.patch_ops import PatchOps, RolloutEngine, RolloutPolicy
from agents.predictive_ops import MetricStore
from agents.task_ops import SPECS
from config.action_executor import Executor
from config.guardrails import Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import MemoryKnowledgeBase
from data.advisories import Advisory
from data.errors import Conflict
from data.execution import ExecutionState
from data.models import Action, AlertIn, PatchPlan, RolloutState, Verdict
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.inventory import SimInventory, WorldClock
from data.sim.world import World

T0 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
HISTORY_MIN = 40
LIMIT_MIN = 24 * 60
DONE = (RolloutState.COMPLETED, RolloutState.ROLLED_BACK, RolloutState.FAILED)
POLICIES: dict[str, RolloutPolicy] = {
    "PatchOps (canary + waves + analysis)": RolloutPolicy(),
    "fixed waves, no analysis": RolloutPolicy(analyse=False),
    "all at once": RolloutPolicy(canary_fraction=1.0, waves=(1.0,), canary_bake_s=0, wave_bake_s=0, analyse=False),
}
LIMITS = Limits(rate_global_per_hour=100_000, rate_tenant_per_hour=100_000, retry_backoff_s=0.0, timeout_s=10.0)


class _NullAlerts:
    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        pass


class _NoSilences:
    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> None:
        return None


class _Recorder:
    """The simulated actuator, recording every call it receives."""

    def __init__(self, inner: SimulatedActuator) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def apply(self, action: Action) -> object:
        self.calls.append((action.action_type, action.target))
        return self.inner.apply(action)


@dataclass
class Run:
    """One advisory under one policy, and its outcome."""

    advisory: Advisory
    bad_hosts: set[str]
    plan: PatchPlan
    installed: set[str]
    minutes: float | None

    @property
    def bad(self) -> bool:
        return bool(self.bad_hosts & {h.host for h in self.plan.affected_hosts})

    @property
    def stopped_at_canary(self) -> bool:
        failed = [c for c in self.plan.health_checks if c.verdict is Verdict.FAIL]
        return self.plan.state is RolloutState.ROLLED_BACK and bool(failed) and failed[0].wave == 0


class Fleet:
    """A fresh simulated world of ``seed`` with PatchOps and the Executor wired to it."""

    def __init__(self, seed: int, policy: RolloutPolicy) -> None:
        self.store = MetricStore()
        self.world = World(seed=seed, alert_sink=_NullAlerts(), metric_sink=self.store)
        self.kb = MemoryKnowledgeBase(capacity=200_000)
        self.switch = KillSwitch(self.kb)
        self.actuator = _Recorder(SimulatedActuator(self.world))
        clock = WorldClock(self.world, lambda: T0)
        self.executor = Executor(
            actuator_for=lambda tenant: self.actuator,  # type: ignore[arg-type,return-value]
            kill_switch=self.switch,
            kb=self.kb,
            clock=clock,
            catalogue=SPECS,
            inventory=SimulatedInventory(self.world),
            silences=_NoSilences(),
            limits=LIMITS,
            workers=1,
        )
        engine = RolloutEngine(
            save=self.kb.save_patch_plan,
            executor=self.executor,
            inventory=SimInventory(self.world),
            metrics=self.store,
            clock=clock,
            kill_switch_active=lambda: self.switch.active,
            audit=self.kb.append_audit,
            policy=policy,
        )
        self.ops = PatchOps(self.kb, engine)
        self.t = T0
        self.advisories = self._publish()
        self.step(HISTORY_MIN, tick=False)

    def _publish(self) -> list[Advisory]:
        feed = self.world.advisories
        feed.step(T0.timestamp(), T0)  # the first call only schedules the first advisory
        feed.step(T0.timestamp() + 60 * 86400, T0)
        return feed.published()

    def bad_hosts(self, advisory_id: str) -> set[str]:
        return next(set(t.bad_hosts) for t in self.world.advisories.truth() if t.id == advisory_id)

    def step(self, minutes: int, *, tick: bool = True) -> None:
        for _ in range(minutes):
            self.t += timedelta(minutes=1)
            self.world.step(self.t)
            if tick:
                self.ops.tick()

    def roll_out(self, advisory: Advisory) -> Run | None:
        self.kb.save_advisory(advisory)
        try:
            plan = self.ops.create_plan(advisory.id, actor="user:bench")
        except Conflict:  # an advisory that affects no host here is not a roll-out
            return None
        plan = self.ops.approve(plan.id, actor="user:bench", reason="patch night")
        start = self.t
        while plan.state not in DONE and plan.state is not RolloutState.PAUSED:
            if (self.t - start).total_seconds() > LIMIT_MIN * 60:
                break
            self.step(1)
            plan = self.ops.get(plan.id)
        installed = {h for a, h in self.actuator.calls if a == "apply_patch"}
        minutes = (self.t - start).total_seconds() / 60 if plan.state is RolloutState.COMPLETED else None
        return Run(advisory, self.bad_hosts(advisory.id), plan, installed, minutes)

    def close(self) -> None:
        self.executor.stop()


def unique_advisories(seed: int, count: int) -> list[int]:
    """Indexes of the seed's first ``count`` advisories with distinct (package, fixed version) and hosts."""
    fleet = Fleet(seed, RolloutPolicy())
    try:
        seen: set[tuple[str, str]] = set()
        chosen = []
        for i, advisory in enumerate(fleet.advisories):
            key = (advisory.package, advisory.fixed_version)
            if key not in seen and len(advisory.affected_hosts) >= 2:
                seen.add(key)
                chosen.append(i)
            if len(chosen) == count:
                break
        return chosen
    finally:
        fleet.close()


def run_policy(policy: RolloutPolicy, plan: list[tuple[int, int]]) -> list[Run]:
    runs = []
    for seed, index in plan:
        fleet = Fleet(seed, policy)
        try:
            run = fleet.roll_out(fleet.advisories[index])
        finally:
            fleet.close()
        if run is not None:
            runs.append(run)
    return runs


def pct(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{100 * part / whole:5.1f} % ({part}/{whole})"


def summarise(name: str, runs: list[Run], wall_s: float) -> None:
    bad = [r for r in runs if r.bad]
    good = [r for r in runs if not r.bad]
    stopped_canary = sum(1 for r in bad if r.stopped_at_canary)
    stopped_any = sum(1 for r in bad if r.plan.state is RolloutState.ROLLED_BACK)
    held_canary = sum(1 for r in bad if r.plan.state is RolloutState.PAUSED and r.plan.wave_index == 0)
    within_canary = sum(1 for r in bad if len(r.installed) <= r.plan.canary_size)
    broken = sum(len(r.installed & r.bad_hosts) for r in bad)
    ran_bad = sum(len(r.installed) for r in bad)
    wrongly = sum(1 for r in good if r.plan.state is RolloutState.ROLLED_BACK)
    good_held = sum(1 for r in good if r.plan.state is RolloutState.PAUSED)
    held = sum(1 for r in runs if r.plan.state is RolloutState.PAUSED)
    times = sorted(r.minutes for r in good if r.minutes is not None)
    print(f"\n{name}  ({len(runs)} roll-outs: {len(bad)} bad patches, {len(good)} good; {wall_s:.0f} s wall)")
    print(f"  bad patches rolled back at the canary  {pct(stopped_canary, len(bad))}")
    print(f"  bad patches held for a person at canary {pct(held_canary, len(bad))}")
    print(f"  bad patches rolled back at any stage   {pct(stopped_any, len(bad))}")
    print(f"  bad plans with installs <= canary size {pct(within_canary, len(bad))}")
    print(f"  hosts that ran a bad patch             {ran_bad} (of them broken by it: {broken})")
    print(f"  good patches wrongly rolled back       {pct(wrongly, len(good))}")
    print(f"  roll-outs paused for a person          {pct(held, len(runs))} (good ones: {good_held})")
    if times:
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"  time to fully patched (good), sim min  median {statistics.median(times):.0f}, p95 {p95:.0f}")


def kill_switch_trials(trials: int, rng: random.Random, plan: list[tuple[int, int]]) -> None:
    """Flip the kill switch from another thread at a random moment of a running roll-out; count installs whose
    start the Executor registered after `set(True)` returned."""
    late = 0
    flipped = 0
    for trial in range(trials):
        seed, index = plan[trial % len(plan)]
        fleet = Fleet(seed, RolloutPolicy(canary_bake_s=120, wave_bake_s=60))
        try:
            advisory = fleet.advisories[index]
            fleet.kb.save_advisory(advisory)
            plan_id = fleet.ops.approve(
                fleet.ops.create_plan(advisory.id, actor="user:bench").id, actor="user:bench", reason="go"
            ).id
            stop = threading.Event()

            def drive(stop: threading.Event = stop, fleet: Fleet = fleet) -> None:
                while not stop.is_set():
                    fleet.step(1)

            runner = threading.Thread(target=drive, name="bench-rollout")
            runner.start()
            time.sleep(rng.uniform(0.0, 0.4))
            fleet.switch.set(True, reason="bench", actor="user:bench")
            before = _started(fleet, plan_id)
            time.sleep(0.2)
            stop.set()
            runner.join(30)
            fleet.step(20)
            after = _started(fleet, plan_id)
            late += len(after - before)
            flipped += 1
        finally:
            fleet.close()
    print(f"\nkill switch flipped mid-roll-out {flipped} times: installs started after it returned: {late}")


def _started(fleet: Fleet, plan_id: str) -> set[str]:
    records = fleet.kb.list_executions(correlation_id=plan_id, limit=5000).items
    return {r.id for r in records if r.request.action == "apply_patch" and r.started_at is not None
            and r.state is not ExecutionState.BLOCKED}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=14)
    parser.add_argument("--per-seed", type=int, default=15)
    parser.add_argument("--kill-trials", type=int, default=40)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the roll-outs' own log lines would drown the figures
    print(f"patch safety on {platform.platform()}, Python {platform.python_version()}, {platform.processor()}")
    plan = [(seed, i) for seed in range(1, args.seeds + 1) for i in unique_advisories(seed, args.per_seed)]
    print(f"{len(plan)} advisories from seeds 1-{args.seeds}; canary bake 1800 s, wave bake 900 s (sim)")
    for name, policy in POLICIES.items():
        started = time.perf_counter()
        runs = run_policy(policy, plan)
        summarise(name, runs, time.perf_counter() - started)
    kill_switch_trials(args.kill_trials, random.Random(7), plan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

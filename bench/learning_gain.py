"""Does the learning loop pay? The same seeded simulation with learning off and on, several simulated days.

    python bench/learning_gain.py [--seeds 11 23] [--days 3]

No server: the simulated world feeds AlertOps minute by minute on a manual clock; after each minute the
Orchestrator verifies what is in flight and decides for open incidents, acting through the guarded
Executor on the simulated actuator (one worker, each action awaited, so a seed gives one result). TaskOps'
proposer keeps its static priors in every run; the difference is `LEARNING_LOOP_ENABLED`: the
Thompson-sampling policy over recorded outcomes and the adaptive selection threshold ("on"), against the
proposer's ranking and the static threshold ("off"); a third run ("policy") learns the action policy but
keeps the static threshold, to show each half's effect.

Printed per seed and run: MTTR of incidents resolved (opened -> resolved, event time), the share of
incidents auto-resolved (resolved after a verified orchestrator action on them), wrong actions tried (by
the simulator's truth: an action on a target with a live fault that did not end it), and selection
precision (selected agents, AlertOps aside, whose contribution was part of a verified outcome). Then the
change with learning on, per seed, and its spread (min..max) across the seeds.
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.alert_ops import AlertOps
from agents.orchestrator import REQUESTER, Orchestrator
from agents.task_ops import SPECS, Proposer
from bench.remediation import START, NoSilences
from config.action_executor import Executor, Limits
from config.agent_selector import SETTING_KEY, AgentSelector
from config.kill_switch import KillSwitch
from config.knowledge_base import MemoryKnowledgeBase
from config.learning import LearningLoop
from data.clock import ManualClock
from data.execution import ExecutedAction, ExecutionState
from data.models import IncidentStatus
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.world import World

# (label, LEARNING_LOOP_ENABLED, adaptive selection threshold): "policy" isolates the action policy by keeping
# the selector's static threshold, so the effect of each half of learning shows on its own.
ARMS = (("off", False, False), ("on", True, True), ("policy", True, False))


class Run:
    """One seeded world handled by the orchestrator, learning on or off."""

    def __init__(self, seed: int, *, learning: bool, adaptive_selection: bool | None = None) -> None:
        self.kb = MemoryKnowledgeBase(capacity=2_000_000)
        self.clock = ManualClock(START)
        self.alert_ops = AlertOps(self.kb)
        self.world = World(seed=seed, alert_sink=self.alert_ops, topology_sink=self.alert_ops)
        inventory = SimulatedInventory(self.world)
        actuator = SimulatedActuator(self.world)
        self.executor = Executor(
            actuator_for=lambda tenant: actuator,
            kill_switch=KillSwitch(self.kb),
            kb=self.kb,
            clock=self.clock,
            catalogue=SPECS,
            inventory=inventory,
            silences=NoSilences(),
            limits=Limits(retry_backoff_s=0.0),
            observe=inventory.observe,
            workers=1,
        )
        self.orchestrator = Orchestrator(
            self.kb,
            self.executor,
            Proposer(SPECS, inventory, lambda key: None),
            AgentSelector(self.kb, learning=learning if adaptive_selection is None else adaptive_selection),
            LearningLoop(self.kb, enabled=learning),
            self.clock.now,
        )

    def step(self, minutes: int) -> None:
        for minute in range(minutes):
            now = START + timedelta(minutes=minute)
            self.clock.set(now)
            self.world.step(now)
            self.alert_ops.advance_to(now)
            for record in self.orchestrator.tick():
                if record.state is ExecutionState.RUNNING:
                    self.executor.wait(record.id, 30.0)
            self.executor.expire_due()

    def close(self) -> None:
        self.orchestrator.close()
        self.executor.stop()
        self.alert_ops.close()


@dataclass
class Result:
    incidents: int
    resolved: int
    auto_resolved: int
    mttr_min: float | None
    attempted: int
    wrong: int
    precision: float | None
    seconds: float


def _all(pages: object) -> list:  # type: ignore[type-arg]
    out = []
    cursor = None
    while True:
        page = pages(limit=500, cursor=cursor)  # type: ignore[operator]
        out.extend(page.items)
        if (cursor := page.next_cursor) is None:
            return out


def summarise(run: Run, seconds: float) -> Result:
    incidents = _all(run.kb.list_incidents)
    records: list[ExecutedAction] = [r for r in _all(run.kb.list_executions) if r.request.requested_by == REQUESTER]
    faults = run.world.truth.faults()
    ended: set[tuple[str, str, datetime]] = {
        (f.root_host, f.end_reason, f.ended_at) for f in faults if f.end_reason and f.ended_at is not None
    }
    attempted = [r for r in records if r.attempts > 0 and r.result is not None]
    wrong = 0
    for r in attempted:
        at = r.result.executed_at if r.result is not None else r.created_at
        if any((host, r.request.action, at) in ended for host in r.hosts):
            continue
        live = any(
            f.root_host in r.hosts and f.started_at <= at and (f.ended_at is None or f.ended_at > at) for f in faults
        )
        wrong += int(live)
    verified_on = {r.request.incident_id for r in records if r.state is ExecutionState.SUCCEEDED and r.verified}
    resolved = [i for i in incidents if i.status is IncidentStatus.RESOLVED and i.resolvedAt is not None]
    mttr = [(i.resolvedAt - i.createdAt).total_seconds() / 60 for i in resolved if i.resolvedAt is not None]
    pairs = (run.kb.get_setting(SETTING_KEY) or {}).get("pairs", [])
    return Result(
        incidents=len(incidents),
        resolved=len(resolved),
        auto_resolved=sum(1 for i in resolved if i.id in verified_on),
        mttr_min=statistics.fmean(mttr) if mttr else None,
        attempted=len(attempted),
        wrong=wrong,
        precision=sum(1 for _, useful in pairs if useful) / len(pairs) if pairs else None,
        seconds=seconds,
    )


def run(seed: int, days: float, learning: bool, adaptive_selection: bool | None = None) -> Result:
    began = time.perf_counter()
    sim = Run(seed, learning=learning, adaptive_selection=adaptive_selection)
    try:
        sim.step(int(days * 24 * 60))
        return summarise(sim, time.perf_counter() - began)
    finally:
        sim.close()


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "n/a"


def change(off: float | None, on: float | None) -> float | None:
    """Return the relative change from ``off`` to ``on`` (negative: lower with learning on)."""
    return (on - off) / off if off and on is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 23])
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {platform.machine()} python {platform.python_version()}; {args.days:g} simulated days per run")
    header = f"{'seed':>5} {'learning':>8} {'incidents':>9} {'resolved':>8} {'auto':>7} {'MTTR min':>9} "
    print(header + f"{'actions':>7} {'wrong':>6} {'sel.prec':>8} {'wall s':>7}")
    mttr_changes, wrong_changes = [], []
    for seed in args.seeds:
        results = {}
        for label, learning, adaptive in ARMS:
            r = results[label] = run(seed, args.days, learning, adaptive)
            mttr = f"{r.mttr_min:.1f}" if r.mttr_min is not None else "n/a"
            auto = r.auto_resolved / r.incidents if r.incidents else None
            print(
                f"{seed:>5} {label:>8} {r.incidents:>9} {r.resolved:>8} {_pct(auto):>7} "
                f"{mttr:>9} {r.attempted:>7} {r.wrong:>6} {_pct(r.precision):>8} {r.seconds:>7.1f}"
            )
        d_mttr = change(results["off"].mttr_min, results["on"].mttr_min)
        d_wrong = change(results["off"].wrong, results["on"].wrong)
        mttr_changes.append(d_mttr)
        wrong_changes.append(d_wrong)
        print(f"      seed {seed}: MTTR {_signed(d_mttr)}, wrong actions {_signed(d_wrong)} with learning on")
        p_mttr = change(results["off"].mttr_min, results["policy"].mttr_min)
        p_wrong = change(results["off"].wrong, results["policy"].wrong)
        print(f"      seed {seed}: MTTR {_signed(p_mttr)}, wrong actions {_signed(p_wrong)} with the policy alone")
    for label, values, target in (("MTTR", mttr_changes, -0.30), ("wrong actions", wrong_changes, -0.50)):
        known = [v for v in values if v is not None]
        if known:
            met = all(v <= target for v in known)
            print(
                f"{label}: change with learning on min {_signed(min(known))} .. max {_signed(max(known))} "
                f"across {len(known)} seeds (target {target:+.0%}: {'met' if met else 'NOT met'} on every seed)"
            )


def _signed(value: float | None) -> str:
    return f"{value:+.1%}" if value is not None else "n/a"


if __name__ == "__main__":
    main()

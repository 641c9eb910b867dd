"""A seeded simulated day with autonomous remediation, against the same day with the kill switch on.

    python bench/remediation.py [--seed 11] [--hours 24]

No server: the simulated world feeds AlertOps minute by minute on a manual clock; after each minute
TaskOps proposes remedies for open incidents and runs scheduled tasks, all through the guarded Executor
on the simulated actuator (one worker, each action awaited, so a seed gives one result). The same seed is
run twice: autonomy on, and the kill switch on from the start (the reference: what happens untouched).
Printed for each: incidents opened and resolved, incidents auto-resolved (resolved after a verified
TaskOps action on them), actions verified / failed verification, wrong actions (by the simulator's truth:
an action that ended no fault rooted on its target), actions blocked per rule and awaiting approval, and
MTTR (mean createdAt -> resolvedAt of the incidents resolved within the day), with how many stayed open.
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.alert_ops import AlertOps
from agents.task_ops import SPECS, TaskOps
from config.action_executor import Executor, Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase, MemoryKnowledgeBase
from data.clock import ManualClock
from data.execution import ExecutedAction, ExecutionState
from data.models import Incident, IncidentStatus
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.world import World

START = datetime(2026, 1, 5, tzinfo=UTC)


class NoSilences:
    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> None:
        return None


class SimulatedOps:
    """The engine's remediation loop over a simulated world, stepped by hand one tick at a time."""

    def __init__(self, seed: int, *, kill_switch: bool = False, limits: Limits | None = None, **world: object) -> None:
        self.kb: KnowledgeBase = MemoryKnowledgeBase(capacity=500_000)
        self.clock = ManualClock(START)
        self.switch = KillSwitch(self.kb)
        if kill_switch:
            self.switch.set(True, reason="reference run: nothing may act", actor="bench")
        self.alert_ops = AlertOps(self.kb)
        self.world = World(seed=seed, alert_sink=self.alert_ops, topology_sink=self.alert_ops, **world)  # type: ignore[arg-type]
        self.inventory = SimulatedInventory(self.world)
        actuator = SimulatedActuator(self.world)
        self.executor = Executor(
            actuator_for=lambda tenant: actuator,
            kill_switch=self.switch,
            kb=self.kb,
            clock=self.clock,
            catalogue=SPECS,
            inventory=self.inventory,
            silences=NoSilences(),
            limits=limits or Limits(retry_backoff_s=0.0),
            observe=self.inventory.observe,
            workers=1,
        )
        self.task_ops = TaskOps(self.kb, self.executor, self.inventory, SPECS, self.clock.now)
        self.executor.subscribe(self.task_ops.learner)
        self.minute = 0

    def step(self, minutes: int = 1) -> list[ExecutedAction]:
        """Advance ``minutes`` one-minute ticks, remedying after each; return the records of the submits."""
        records = []
        for _ in range(minutes):
            now = START + timedelta(minutes=self.minute)
            self.clock.set(now)
            self.world.step(now)
            self.alert_ops.advance_to(now)
            tick = self.task_ops.tick()
            for record in [*tick.remedies, *tick.scheduled]:
                records.append(
                    self.executor.wait(record.id, 30.0) if record.state is ExecutionState.RUNNING else record
                )
            self.executor.expire_due()
            self.minute += 1
        return records

    def close(self) -> None:
        self.executor.stop()
        self.alert_ops.close()

    def incidents(self) -> list[Incident]:
        out: list[Incident] = []
        cursor = None
        while True:
            page = self.kb.list_incidents(limit=500, cursor=cursor)
            out.extend(page.items)
            if (cursor := page.next_cursor) is None:
                return out

    def executions(self) -> list[ExecutedAction]:
        return list(self.kb.iter_executions())


@dataclass
class DayResult:
    opened: int
    resolved: int
    auto_resolved: int
    verified: int
    failed: int
    fixed: int
    wrong: int
    no_fault: int
    attempted: int
    scheduled: int
    fault_minutes: float | None
    blocked: Counter[str]
    awaiting: int
    mttr_min: float | None
    still_open: int


def summarise(ops: SimulatedOps) -> DayResult:
    incidents = ops.incidents()
    records = ops.executions()
    fixed_by: dict[tuple[str, str, datetime], int] = Counter()
    faults = ops.world.truth.faults()
    for fault in faults:
        if fault.end_reason and fault.ended_at is not None:
            fixed_by[(fault.root_host, fault.end_reason, fault.ended_at)] += 1
    attempted = [r for r in records if r.attempts > 0 and r.result is not None and r.request.incident_id]
    fixed = wrong = no_fault = 0
    for r in attempted:
        at = r.result.executed_at if r.result is not None else r.created_at
        if any(fixed_by.get((host, r.request.action, at)) for host in r.hosts):
            fixed += 1
        elif any(
            f.root_host in r.hosts and f.started_at <= at and (f.ended_at is None or f.ended_at > at) for f in faults
        ):
            wrong += 1
        else:
            no_fault += 1
    random_faults = [f for f in faults if f.origin == "random" and f.ended_at is not None]
    durations = [(f.ended_at - f.started_at).total_seconds() / 60 for f in random_faults if f.ended_at is not None]
    verified_on = {r.request.incident_id for r in records if r.state is ExecutionState.SUCCEEDED}
    resolved = [i for i in incidents if i.status is IncidentStatus.RESOLVED and i.resolvedAt is not None]
    mttr = [(i.resolvedAt - i.createdAt).total_seconds() / 60 for i in resolved if i.resolvedAt is not None]
    return DayResult(
        opened=len(incidents),
        resolved=len(resolved),
        auto_resolved=sum(1 for i in resolved if i.id in verified_on),
        verified=sum(1 for r in attempted if r.state is ExecutionState.SUCCEEDED),
        failed=sum(1 for r in attempted if r.state is ExecutionState.FAILED),
        fixed=fixed,
        wrong=wrong,
        no_fault=no_fault,
        attempted=len(attempted),
        scheduled=sum(1 for r in records if r.request.correlation_id and r.request.correlation_id.startswith("task:")),
        fault_minutes=statistics.fmean(durations) if durations else None,
        blocked=Counter(r.blocked_by or "?" for r in records if r.state is ExecutionState.BLOCKED),
        awaiting=sum(1 for r in records if r.state is ExecutionState.AWAITING_APPROVAL),
        mttr_min=statistics.fmean(mttr) if mttr else None,
        still_open=len(incidents) - len(resolved),
    )


def run_day(seed: int, hours: float, kill_switch: bool) -> tuple[DayResult, float]:
    began = time.perf_counter()
    ops = SimulatedOps(seed, kill_switch=kill_switch)
    try:
        ops.step(int(hours * 60))
        return summarise(ops), time.perf_counter() - began
    finally:
        ops.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the engines log every decision; the figures are the output
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"seed {args.seed}, {args.hours:g} simulated hours, 60 hosts, 4 tenants, default guardrails")
    for label, switch in (("autonomy on", False), ("kill switch on (reference)", True)):
        result, seconds = run_day(args.seed, args.hours, switch)
        mttr = f"{result.mttr_min:.1f} min" if result.mttr_min is not None else "n/a"
        blocked = ", ".join(f"{rule} {n}" for rule, n in result.blocked.most_common()) or "none"
        print(f"\n{label}  ({seconds:.1f} s wall)")
        print(f"  incidents opened {result.opened}, resolved {result.resolved}, still open {result.still_open}")
        print(f"  auto-resolved (a verified TaskOps action, then resolved) {result.auto_resolved}")
        print(
            f"  remedies carried out {result.attempted}: verified {result.verified}, "
            f"failed verification {result.failed}"
        )
        print(
            f"    by the simulator's truth: ended the fault {result.fixed}, wrong action on a faulty target "
            f"{result.wrong}, no fault on the target (noise or a symptom spread from elsewhere) {result.no_fault}"
        )
        print(f"  scheduled-task requests {result.scheduled}")
        print(f"  blocked per rule: {blocked}; awaiting approval {result.awaiting}")
        faults = f"{result.fault_minutes:.1f} min" if result.fault_minutes is not None else "n/a"
        print(f"  MTTR of resolved incidents {mttr}; mean duration of random faults that ended (truth) {faults}")


if __name__ == "__main__":
    main()

"""Simulator speed: one sim-minute tick for 2,000 hosts (7 metrics + state signals, rule evaluation, faults,
noise, alert objects) and a simulated week of the default 60-host fleet, next to a naive per-host Python
loop doing only the metric and rule part, measured in the same run.

Run: ``.venv/bin/python bench/sim_speed.py [--hosts 2000] [--ticks 200] [--days 7]``
Targets (issue 5): tick < 20 ms at 2,000 hosts; one simulated week of the default fleet < 60 s wall.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.models import AlertIn, MetricSampleIn
from data.sim.alert_rules import RULES
from data.sim.metrics_simulator import METRICS, SIGNALS, Effects
from data.sim.world import World

START = datetime(2026, 1, 5, tzinfo=UTC)


class CountingSink:
    def __init__(self) -> None:
        self.alerts = 0
        self.frames = 0

    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        self.alerts += len(alerts)

    def ingest_frame(
        self, timestamp: datetime, hosts: Sequence[str], metrics: Sequence[str], values: NDArray[np.float64]
    ) -> None:
        self.frames += 1

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        self.frames += 1


def naive_tick(world: World, rng: random.Random, pending: dict[tuple[int, int], float], t: float) -> int:
    """The reference: per host, per metric, per rule in plain Python (no faults, noise blips or alerts)."""
    fired = 0
    base = world.model.base.tolist()
    state = world.model.state.tolist()
    thresholds = world.rules.thresholds.tolist()
    hour = (t % 86_400) / 3600.0
    daily = math.sin(2 * math.pi * (hour - 8.0) / 24.0)
    for h in range(len(base)):
        values = [b * (1.0 + 0.2 * daily * 0.5) * (1.0 + 0.05 * rng.gauss(0.0, 1.0)) for b in base[h]] + state[h]
        for r, rule in enumerate(RULES):
            v = values[SIGNALS.index(rule.signal)]
            cond = v > thresholds[h][r] if rule.op == ">" else v < thresholds[h][r]
            if cond:
                since = pending.setdefault((h, r), t)
                if t - since >= rule.for_s:
                    fired += 1
            else:
                pending.pop((h, r), None)
    return fired


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
        f"python={platform.python_version()} numpy={np.__version__}"
    )

    sink = CountingSink()
    world = World(seed=1, alert_sink=sink, metric_sink=sink, n_hosts=args.hosts, n_tenants=4)
    for i in range(60):  # warm up: a sim hour so faults and noise are active
        world.step(START + timedelta(minutes=i))
    times = []
    for i in range(60, 60 + args.ticks):
        begin = time.perf_counter()
        world.step(START + timedelta(minutes=i))
        times.append((time.perf_counter() - begin) * 1000)
    print(
        f"vectorised tick, {args.hosts} hosts x {len(METRICS)} metrics + {len(SIGNALS) - len(METRICS)} state "
        f"signals, {len(RULES)} rules, faults, noise, alerts: median {statistics.median(times):.2f} ms, "
        f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms over {args.ticks} ticks "
        f"(active faults {len(world.active)}, alerts emitted {sink.alerts})"
    )

    core = []
    effects_free = Effects(args.hosts)
    for i in range(args.ticks):
        now = START + timedelta(minutes=10_000 + i)
        begin = time.perf_counter()
        values = world.model.values(now, effects_free, world.np_rng)
        world.rules.evaluate(now.timestamp(), values)
        core.append((time.perf_counter() - begin) * 1000)
    print(f"vectorised metrics + rule evaluation only, {args.hosts} hosts: median {statistics.median(core):.2f} ms")

    rng = random.Random(1)
    pending: dict[tuple[int, int], float] = {}
    naive = []
    for i in range(max(5, args.ticks // 20)):
        begin = time.perf_counter()
        naive_tick(world, rng, pending, START.timestamp() + i * 60)
        naive.append((time.perf_counter() - begin) * 1000)
    print(
        f"naive per-host Python loop (metrics + rules only), {args.hosts} hosts: "
        f"median {statistics.median(naive):.2f} ms over {len(naive)} ticks "
        f"-> vectorised full tick {statistics.median(naive) / statistics.median(times):.1f}x, "
        f"metrics + rules {statistics.median(naive) / statistics.median(core):.0f}x faster"
    )

    steps = int(args.days * 1440)
    sink = CountingSink()
    world = World(seed=1, alert_sink=sink, metric_sink=sink)
    begin = time.perf_counter()
    for i in range(steps):
        world.step(START + timedelta(minutes=i))
    wall = time.perf_counter() - begin
    status = world.status()
    print(
        f"simulated {args.days:g} days of the default fleet ({len(world.fleet.hosts)} hosts, {steps} ticks): "
        f"{wall:.1f} s wall ({wall / steps * 1000:.2f} ms/tick), {status.faults_started} faults, "
        f"{sink.alerts} alerts emitted"
    )


if __name__ == "__main__":
    main()

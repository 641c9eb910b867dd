"""The PredictiveOps anomaly detector on the simulator's own metrics, scored against its truth log.

    python bench/anomaly_sim_eval.py [--seed 7] [--days 2]

Runs the default 60-host world (random faults and noise on) at one-minute ticks, scores every host's
seven metrics with `agents.predictive_ops.anomaly.scores` (the parameter set used for NAB, unchanged), and flags a
host at a minute when any of its metrics scores at least 0.5 (the level the API flags). Truth: a
host is faulty from a fault's start to its end if the fault's record lists it as root or affected.
Printed, for the detector and, as a reference in the same run, a windowed Gaussian (|z| >= 4 against
the trailing 288 samples, 30 minutes of cool-down per metric):

* fault recall: faults with a flag on one of their hosts between start and end + 5 min;
* flag precision: flags that fall inside a fault interval (+5 min) of their host;
* false flags per host-day, and the median delay from fault start to its first flag.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.predictive_ops import scores
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, tzinfo=UTC)
GRACE = 5  # minutes after a fault's end in which a flag still belongs to it
Detector = Callable[[NDArray[np.float64]], NDArray[np.bool_]]


def detector_flags(y: NDArray[np.float64]) -> NDArray[np.bool_]:
    flags: NDArray[np.bool_] = scores(y) >= 0.5
    return flags


def gaussian_flags(y: NDArray[np.float64], window: int = 288, z: float = 4.0, quiet: int = 30) -> NDArray[np.bool_]:
    """Reference: |y - mean| >= z std of the trailing window, then `quiet` samples of silence."""
    n = len(y)
    c1 = np.r_[0.0, np.cumsum(y)]
    c2 = np.r_[0.0, np.cumsum(y * y)]
    t = np.arange(n)
    lo = np.maximum(0, t - window)
    count = np.maximum(t - lo, 1)
    mean = (c1[t] - c1[lo]) / count
    std = np.sqrt(np.maximum((c2[t] - c2[lo]) / count - mean**2, 1e-12))
    raw = (np.abs(y - mean) >= z * std) & (t >= 48)
    flags = np.zeros(n, dtype=bool)
    until = -1
    for i in np.flatnonzero(raw):
        if i > until:
            flags[i], until = True, int(i) + quiet
    return flags


def simulate(seed: int, minutes: int) -> tuple[World, list[str], NDArray[np.float64]]:
    """Run the world; return it, host names and values shaped (hosts, metrics, minutes)."""
    sink = RecordingSink()
    world = World(seed=seed, alert_sink=sink, metric_sink=sink)
    for minute in range(minutes):
        world.step(START + timedelta(minutes=minute))
    hosts = sink.frames[0][1]
    values = np.stack([frame[3] for frame in sink.frames], axis=-1)
    return world, hosts, values


def evaluate(world: World, hosts: list[str], values: NDArray[np.float64], flag: Detector) -> dict[str, float | None]:
    n_hosts, n_metrics, n = values.shape
    host_flags = np.zeros((n_hosts, n), dtype=bool)
    for h in range(n_hosts):
        for m in range(n_metrics):
            host_flags[h] |= flag(values[h, m])
    index = {name: i for i, name in enumerate(hosts)}
    faulty = np.zeros((n_hosts, n), dtype=bool)
    detected, delays, counted = 0, [], 0
    for record in world.truth.faults():
        start = int((record.started_at - START).total_seconds() // 60)
        end = n - 1 if record.ended_at is None else int((record.ended_at - START).total_seconds() // 60)
        members = [index[h] for h in {record.root_host, *record.affected_hosts} if h in index]
        if start >= n or not members:
            continue
        span = slice(max(start, 0), min(end + GRACE, n - 1) + 1)
        for h in members:
            faulty[h, span] = True
        if start < 288:  # the detector has no reference day yet
            continue
        counted += 1
        hits = np.flatnonzero(host_flags[members, span].any(axis=0))
        if hits.size:
            detected += 1
            delays.append(float(hits[0]))
    scored = np.zeros(n, dtype=bool)
    scored[288:] = True
    flags = host_flags & scored
    inside = int((flags & faulty).sum())
    total = int(flags.sum())
    host_days = n_hosts * (n - 288) / 1440.0
    return {
        "faults": float(counted),
        "recall": detected / counted if counted else None,
        "precision": inside / total if total else None,
        "false_per_host_day": (total - inside) / host_days if host_days else None,
        "median_delay_min": statistics.median(delays) if delays else None,
    }


def fmt(value: float | None, spec: str) -> str:
    return "null" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=float, default=2.0)
    args = parser.parse_args()
    print(f"# anomaly detector vs simulator truth on {platform.node()} ({platform.machine()}, "
          f"Python {platform.python_version()}), seed {args.seed}, {args.days:g} sim days")  # fmt: skip
    started = time.perf_counter()
    world, hosts, values = simulate(args.seed, int(args.days * 1440))
    print(f"simulated {values.shape[0]} hosts x {values.shape[1]} metrics x {values.shape[2]} min "
          f"in {time.perf_counter() - started:.1f} s; faults recorded {len(world.truth.faults())}")  # fmt: skip
    for name, flag in (("PredictiveOps detector", detector_flags), ("windowed Gaussian 4 sd", gaussian_flags)):
        started = time.perf_counter()
        r = evaluate(world, hosts, values, flag)
        print(
            f"{name:24}: fault recall {fmt(r['recall'], '.3f')} of {fmt(r['faults'], '.0f')}, "
            f"flag precision {fmt(r['precision'], '.3f')}, false flags/host-day {fmt(r['false_per_host_day'], '.2f')}, "
            f"median delay {fmt(r['median_delay_min'], '.0f')} min  ({time.perf_counter() - started:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

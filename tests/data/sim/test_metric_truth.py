"""Metric-level truth: an injected fault's effects on its root host and, after the cascade delay, its callers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data.sim.metric_truth import SimulatorTruth
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def quiet_world() -> World:
    sink = RecordingSink()
    return World(seed=3, alert_sink=sink, metric_sink=sink, random_faults=False, noise=False, auto_end=False)


def step(world: World, first: int, minutes: int) -> None:
    for minute in range(first, first + minutes):
        world.step(START + timedelta(minutes=minute))


def test_root_effects_then_caller_effects_then_the_end() -> None:
    world = quiet_world()
    truth = SimulatorTruth(world)
    assert truth.windows(START) == []
    step(world, 0, 1)
    record = world.inject("cpu_spike")
    root = record.root_host
    onset = record.started_at
    step(world, 1, 2)  # two minutes in: before the 180 s cascade delay
    early = truth.windows(START)
    assert {(t.host, t.metric) for t in early} == {(root, "cpu"), (root, "latency_p95")}
    assert all(t.start == onset and t.end is None and t.fault_id == record.id for t in early)
    fault = world.faults[0]
    step(world, 3, 30)
    later = truth.windows(START)
    callers = [t for t in later if t.host != root]
    assert callers and {t.metric for t in callers} == {"latency_p95", "error_rate"}
    first_hop = fault.hops[0]
    expected = onset + timedelta(seconds=fault.scenario.cascade_after_s + first_hop.delay_s)
    hop_host = world.fleet.hosts[int(first_hop.hosts[0])].name
    assert min(t.start for t in callers if t.host == hop_host) == expected
    world.end_fault(fault, fault.start + 600.0, "operator")
    ended = truth.windows(START)
    assert all(t.end == onset + timedelta(seconds=600) for t in ended)
    assert all(t.start < t.end for t in ended if t.end is not None)  # hops that would start later never happened
    assert truth.windows(onset + timedelta(seconds=601)) == []  # ended before that: not relevant
    assert truth.covers(root, "cpu") and not truth.covers(root, "up") and not truth.covers("elsewhere", "cpu")

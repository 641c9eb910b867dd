"""The simulator's ground truth at the metric level: which fault changed which host's metric, and when.

Derived from the running world's faults (their scenario effects, targets and cascade hops, all drawn
at onset), the same plan `Fault.contribute` applies step by step. Only evaluation reads it: it is what
anomaly flags are scored against, never something an agent decides on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data.sim.alert_emitter import to_dt
from data.sim.faults import Fault
from data.sim.metrics_simulator import METRICS
from data.sim.world import World


@dataclass(frozen=True)
class MetricTruth:
    """One fault's effect on one (host, metric): from its onset until the fault ended (``end`` None = active)."""

    fault_id: str
    host: str
    metric: str
    start: datetime
    end: datetime | None


def fault_metric_truth(fault: Fault, host_names: list[str], now: float) -> list[MetricTruth]:
    """Return the exported-metric effects of ``fault`` that had begun by ``now`` (epoch s), one per (host, metric).

    Root effects start ``after_s`` after onset on their target hosts; caller effects start after the
    scenario's cascade delay plus the hop's delay. A "set" effect reaches callers only at full strength,
    as in `Fault._apply`. An effect that would begin after the fault ended never happened.
    """
    onsets: dict[tuple[int, str], float] = {}

    def note(hosts: list[int], metric: str, at: float) -> None:
        for host in hosts:
            key = (host, metric)
            onsets[key] = min(onsets.get(key, at), at)

    for effect in fault.scenario.effects:
        if effect.signal in METRICS:
            note(fault.targets[effect.target].tolist(), effect.signal, fault.start + effect.after_s)
    for hop in fault.hops:
        for effect in fault.scenario.caller_effects:
            if effect.signal in METRICS and (effect.kind != "set" or hop.factor >= 1.0):
                at = fault.start + fault.scenario.cascade_after_s + hop.delay_s + effect.after_s
                note(hop.hosts.tolist(), effect.signal, at)
    end = fault.ended
    return [
        MetricTruth(fault.id, host_names[host], metric, to_dt(at), None if end is None else to_dt(end))
        for (host, metric), at in sorted(onsets.items(), key=lambda item: item[1])
        if at <= now and (end is None or at < end)
    ]


class SimulatorTruth:
    """Metric-level truth of a `World`, for the series the simulator produces (its hosts x `METRICS`)."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._hosts = frozenset(h.name for h in world.fleet.hosts)

    def covers(self, host: str, metric: str) -> bool:
        """Return True when the series is one the simulator writes (so its truth is known)."""
        return host in self._hosts and metric in METRICS

    def windows(self, since: datetime) -> list[MetricTruth]:
        """Return every metric effect that was active at or after ``since``, in onset order."""
        world = self._world
        with world.lock:
            now = world.now
            if now is None:
                return []
            names = [h.name for h in world.fleet.hosts]
            cutoff = since.timestamp()
            relevant = [f for f in world.faults if f.ended is None or f.ended >= cutoff]
            out = [truth for fault in relevant for truth in fault_metric_truth(fault, names, now.timestamp())]
        return sorted(out, key=lambda t: t.start)

"""Running faults: a scenario placed on a root host, with its upstream cascade planned at onset.

A `Fault` turns its scenario's effects into per-step changes of the signals (`contribute`) and keeps
the event alerts it still has to raise. Everything random about it (hop delays, silent hops, event
times, self-heal time) is drawn once from the world's seeded generator when it starts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from data.models import Severity
from data.sim.fleet import Fleet
from data.sim.metrics_simulator import Effects
from data.sim.scenarios import Effect, Scenario

MAX_HOPS = 4
SILENT_P = 0.25  # share of services on a cascade path that absorb the symptom without alerting
HOP_DECAY = 0.7
OPERATOR_FIX_S = (3600.0, 7200.0)  # nobody acted: the on-call engineer fixes it by hand eventually


@dataclass(frozen=True)
class Hop:
    service: str
    hosts: NDArray[np.int64]
    delay_s: float
    factor: float
    silent: bool


@dataclass(order=True)
class PendingEvent:
    due: float
    alertname: str = field(compare=False)
    severity: Severity = field(compare=False)
    host: int = field(compare=False)
    summary: str = field(compare=False)


@dataclass
class Fault:
    number: int
    id: str
    scenario: Scenario
    tenant: str
    root: int
    start: float
    end_at: float
    end_reason_planned: str
    origin: str
    targets: dict[str, NDArray[np.int64]]
    hops: list[Hop]
    pending: list[PendingEvent]
    boost: float = 1.0
    active: bool = True
    ended: float | None = None
    fired_events: list[tuple[dict[str, str], str, float]] = field(default_factory=list)
    affected_hosts: set[str] = field(default_factory=set)
    affected_services: set[str] = field(default_factory=set)

    def contribute(self, t: float, effects: Effects) -> None:
        """Add this fault's effects at time ``t`` to ``effects``."""
        for effect in self.scenario.effects:
            self._apply(effect, self.targets[effect.target], t - self.start, 1.0, effects)
        cascade_t = t - self.start - self.scenario.cascade_after_s
        for hop in self.hops:
            for effect in self.scenario.caller_effects:
                self._apply(effect, hop.hosts, cascade_t - hop.delay_s, hop.factor, effects)

    def _apply(self, effect: Effect, hosts: NDArray[np.int64], elapsed: float, factor: float, effects: Effects) -> None:
        elapsed -= effect.after_s
        if elapsed < 0 or hosts.size == 0:
            return
        ramp = 1.0 if effect.ramp_s <= 0 else min(1.0, elapsed / effect.ramp_s)
        scale = ramp * factor * self.boost
        if effect.kind == "add":
            effects.apply(self.number, hosts, effect.signal, "add", effect.amount * scale)
        elif effect.kind == "mult":
            effects.apply(self.number, hosts, effect.signal, "mult", 1.0 + (effect.amount - 1.0) * scale)
        elif factor >= 1.0:
            effects.apply(self.number, hosts, effect.signal, "set", effect.amount)


def _targets(fleet: Fleet, scenario: Scenario, root: int) -> dict[str, NDArray[np.int64]]:
    host = fleet.hosts[root]
    out: dict[str, NDArray[np.int64]] = {"root": np.array([root])}
    for effect in (*scenario.effects, *scenario.caller_effects):
        if effect.target in out:
            continue
        if effect.target == "service":
            names = fleet.services[host.service].hosts
        elif effect.target == "site":
            names = tuple(h.name for h in fleet.hosts if h.tenant == host.tenant and h.site == host.site)
        else:
            names = fleet.service_by_suffix(host.tenant, effect.target).hosts
        out[effect.target] = np.array([fleet.host_index[n] for n in names], dtype=np.int64)
    return out


def _plan_hops(fleet: Fleet, service: str, rng: random.Random) -> list[Hop]:
    """Walk callers breadth-first; each hop adds a log-normal delay (seconds to many minutes)."""
    hops: list[Hop] = []
    frontier = [(service, 0.0, 1.0)]
    seen = {service}
    for depth in range(MAX_HOPS):
        nxt: list[tuple[str, float, float]] = []
        for callee, delay, factor in frontier:
            for caller in fleet.callers(callee):
                if caller in seen:
                    continue
                seen.add(caller)
                hop_delay = delay + min(900.0, max(3.0, rng.lognormvariate(math.log(45.0), 1.0)))
                silent = depth > 0 and rng.random() < SILENT_P
                hop_factor = factor * HOP_DECAY
                hosts = np.array([fleet.host_index[n] for n in fleet.services[caller].hosts], dtype=np.int64)
                hops.append(Hop(caller, hosts, hop_delay, 0.2 if silent else hop_factor, silent))
                nxt.append((caller, hop_delay, hop_factor))
        frontier = nxt
    return hops


def start_fault(
    *,
    number: int,
    fault_id: str,
    scenario: Scenario,
    fleet: Fleet,
    root: int,
    start: float,
    origin: str,
    rng: random.Random,
    auto_end: bool = True,
) -> Fault:
    """Place ``scenario`` on host ``root`` at ``start`` (epoch s); all randomness is drawn here.

    With ``auto_end`` False a fault that has a remedy lasts until the remedy is applied (no self-healing,
    no eventual operator fix); faults without a remedy always heal by themselves.
    """
    host = fleet.hosts[root]
    hops = _plan_hops(fleet, host.service, rng) if scenario.caller_effects else []
    heal = rng.random() < scenario.self_heal_p
    end_at, reason = math.inf, "operator"
    if scenario.remedy is None or (auto_end and heal):
        end_at, reason = start + rng.uniform(*scenario.self_heal_s), "self_heal"
    elif auto_end:
        end_at = start + rng.uniform(*OPERATOR_FIX_S)
    targets = _targets(fleet, scenario, root)
    pending: list[PendingEvent] = []
    for event in scenario.events:
        lo, hi = event.delay_s
        if event.where == "root":
            places = [(root, 0.0)]
        elif event.where == "callers":
            places = [
                (int(h), scenario.cascade_after_s + hop.delay_s)
                for hop in hops[:3]
                if not hop.silent
                for h in hop.hosts[:1]
            ]
        else:
            places = [(int(h), 0.0) for h in targets.get(event.where, np.array([], dtype=np.int64))[:1]]
            if not places:
                places = [(fleet.host_index[fleet.service_by_suffix(host.tenant, event.where).hosts[0]], 0.0)]
        for place, offset in places:
            pending.append(
                PendingEvent(
                    start + offset + rng.uniform(lo, hi), event.alertname, event.severity, place, event.summary
                )
            )
    pending.sort()
    return Fault(
        number=number,
        id=fault_id,
        scenario=scenario,
        tenant=host.tenant,
        root=root,
        start=start,
        end_at=end_at,
        end_reason_planned=reason,
        origin=origin,
        targets=targets,
        hops=hops,
        pending=pending,
    )

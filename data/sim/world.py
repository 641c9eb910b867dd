"""The simulated world: fleet, signals, alert rules, faults, noise, advisories and the truth log, advanced
one step per sim tick by `World.step`.

The world never calls the engine: it hands alerts, metric frames and topologies to the sink
protocols of `data.sinks`. Everything random is drawn from generators seeded with ``seed``, so the
same seed, the same step times and the same actions give the same alert stream. Thread-safe: steps
(simulation thread) and actions (executor) serialise on ``lock``; sinks are called outside it.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from data.advisories import Advisory
from data.errors import Conflict, InvalidInput, NotFound
from data.models import AlertIn, AlertState, LogType
from data.sim.advisories import AdvisoryFeed
from data.sim.alert_emitter import AlertEmitter, to_dt
from data.sim.alert_rules import RULES, RuleEngine
from data.sim.faults import Fault, start_fault
from data.sim.fleet import Fleet
from data.sim.metrics_simulator import METRICS, N_METRICS, SIGNALS, Effects, MetricsModel
from data.sim.noise import Noise
from data.sim.scenarios import RANDOM_SCENARIOS, SCENARIOS, Scenario
from data.sim.truth import FaultRecord, TruthLog
from data.sinks import AlertSink, MetricSink, TopologySink

log = logging.getLogger(__name__)

DEFAULT_FAULT_INTERVAL_S = (30.0, 60.0)
STORM_FAULT_INTERVAL_S = (10.0, 20.0)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class WorldStatus:
    sim_time: datetime | None
    ticks: int
    active_faults: int
    faults_started: int
    alerts_emitted: int
    storm: bool


@dataclass(frozen=True)
class HostState:
    """What monitoring shows for one host: a state derived from its firing alerts, and its last metrics."""

    state: str
    firing: list[str]
    metrics: dict[str, float]


class World:
    """The whole simulated environment; see the module docstring for its guarantees."""

    def __init__(
        self,
        *,
        seed: int,
        alert_sink: AlertSink,
        metric_sink: MetricSink | None = None,
        topology_sink: TopologySink | None = None,
        n_hosts: int = 60,
        n_tenants: int = 4,
        faults_paused: Callable[[], bool] = _never,
        storm: bool = False,
        random_faults: bool = True,
        noise: bool = True,
        auto_end: bool = True,
        fault_interval_s: tuple[float, float] | None = None,
        max_active_faults: int | None = None,
        tick_seconds: float = 60.0,
        repeat_s: float = 900.0,
        duplicate_p: float = 0.03,
        on_advisory: Callable[[Advisory], None] | None = None,
    ) -> None:
        """Build the fleet and every generator from ``seed``; nothing is emitted before the first `step`.

        ``n_hosts``/``n_tenants`` size the fleet (at least 13 hosts per tenant). A random fault is due every
        ``fault_interval_s`` (default 30-60 s of sim time, 10-20 s in ``storm`` mode) and starts unless
        ``faults_paused()`` is true (the kill switch) or ``max_active_faults`` are already running.
        ``storm`` also quadruples noise. ``random_faults``/``noise``/``auto_end`` False give a quiet world
        for tests: only injected faults, no noise, and faults that last until their remedy is applied.
        ``tick_seconds`` is the expected step spacing (used only for the first step); firing alerts are
        re-sent every ``repeat_s``; ``duplicate_p`` is the chance that a firing alert is sent twice.
        ``on_advisory`` is called (under the world's lock) with every advisory as it is published.
        """
        self.seed = seed
        self.storm = storm
        self.lock = threading.RLock()
        self.fleet = Fleet(seed=seed, n_hosts=n_hosts, n_tenants=n_tenants)
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.model = MetricsModel.build(self.fleet, self.np_rng)
        self.rules = RuleEngine(self.fleet, self.model.base.copy(), self.model.max_connections, repeat_s)
        rate = (4.0 if storm else 1.0) if noise else 0.0
        self.noise = Noise(self.fleet, self.model, random.Random(f"noise:{seed}"), rate)
        self.advisories = AdvisoryFeed(self.fleet, random.Random(f"advisories:{seed}"))
        self.truth = TruthLog()
        self.faults: list[Fault] = []
        self.active: list[Fault] = []
        self._ended: list[Fault] = []
        self._alert_sink = alert_sink
        self._metric_sink = metric_sink
        self._topology_sink = topology_sink
        self._faults_paused = faults_paused
        self._on_advisory = on_advisory
        self._random_faults = random_faults
        self._auto_end = auto_end
        self._interval = fault_interval_s or (STORM_FAULT_INTERVAL_S if storm else DEFAULT_FAULT_INTERVAL_S)
        base_cap = max(3, len(self.fleet.hosts) // 15)
        self.max_active_faults = max_active_faults or (base_cap * 3 if storm else base_cap)
        self.tick_seconds = tick_seconds
        self.repeat_s = repeat_s
        self.duplicate_p = duplicate_p if noise else 0.0
        self._host_names = [h.name for h in self.fleet.hosts]
        self._sites = {t.name: t.sites for t in self.fleet.tenants}
        self.emitter = AlertEmitter(self.fleet, self.rules, self.truth, repeat_s)
        self._t: float | None = None
        self._next_fault = 0.0
        self.last_values: NDArray[np.float64] | None = None
        self.ticks = 0
        self.alerts_emitted = 0
        self.patch_history: dict[tuple[int, str], list[str]] = {}

    # ------------------------------------------------------------------------------------------ stepping

    @property
    def now(self) -> datetime | None:
        """The sim time of the last step, or None before the first one."""
        return None if self._t is None else to_dt(self._t)

    def step(self, now: datetime) -> list[AlertIn]:
        """Advance the world to ``now`` (one tick after the previous step) and emit what happened.

        Topologies go to the topology sink on the first step; every step sends one metric frame and
        the alert batch (if any). Returns that batch. A ``now`` not after the previous step does nothing.
        """
        with self.lock:
            first = self._t is None
            if self._t is not None and now.timestamp() <= self._t:
                return []
            alerts, frame = self._advance(now)
        if first and self._topology_sink is not None:
            for tenant in self.fleet.tenants:
                self._topology_sink.set_topology(self.fleet.topology(tenant.name))
        if self._metric_sink is not None:
            self._metric_sink.ingest_frame(now, self._host_names, METRICS, frame)
        if alerts:
            self._alert_sink.ingest_alerts(alerts)
        return alerts

    def _advance(self, now: datetime) -> tuple[list[AlertIn], NDArray[np.float64]]:
        t = now.timestamp()
        if self._t is None:
            self._t = t - self.tick_seconds
            # The fleet is already in operation: the first fault is due within the first tick.
            self._next_fault = self._t + self.rng.uniform(*self._interval)
        dt = t - self._t
        self._t = t
        self._start_due_faults(t)
        for fault in [f for f in self.active if f.end_at <= t]:
            self.end_fault(fault, fault.end_at, fault.end_reason_planned)
        effects = Effects(len(self.fleet.hosts))
        for fault in self.active:
            fault.contribute(t, effects)
        self.noise.step(t, dt, effects, [self.fleet.hosts[f.root].service for f in self.active])
        self.model.advance(dt)
        values = self.model.values(now, effects, self.np_rng)
        self.last_values = values
        batch = self.emitter.rule_alerts(self.rules.evaluate(t, values), values, effects, self.faults, now)
        batch.extend(self.emitter.event_alerts(t, self.active, self._ended))
        self._ended.clear()
        batch.extend(
            a.model_copy()
            for a in batch
            if a.status == AlertState.FIRING and self.duplicate_p > 0 and self.noise.rng.random() < self.duplicate_p
        )
        for advisory in self.advisories.step(t, now):
            log.info(
                "Advisory %s published for %s", advisory.id, advisory.package, extra={"log_type": LogType.PATCHOPS}
            )
            if self._on_advisory is not None:
                self._on_advisory(advisory)
        self.ticks += 1
        self.alerts_emitted += len(batch)
        return batch, values[:, :N_METRICS].copy()

    # ------------------------------------------------------------------------------------------ faults

    def _start_due_faults(self, t: float) -> None:
        while self._next_fault <= t:
            at = self._next_fault
            self._next_fault += self.rng.uniform(*self._interval)
            counted = sum(1 for f in self.active if not f.origin.startswith("action"))
            if not self._random_faults or counted >= self.max_active_faults or self._faults_paused():
                continue
            scenario = self.rng.choices(RANDOM_SCENARIOS, [s.random_weight for s in RANDOM_SCENARIOS])[0]
            tenant = self.rng.choice(self.fleet.tenants).name
            candidates = self._candidates(scenario, tenant)
            if candidates:
                self.start(scenario, self.rng.choice(candidates), at, "random")

    def _candidates(self, scenario: Scenario, tenant: str | None) -> list[int]:
        busy = {f.root for f in self.active}
        out = []
        for host in self.fleet.hosts:
            if host.index in busy or (tenant is not None and host.tenant != tenant):
                continue
            if scenario.root_services and self.fleet.services[host.service].suffix not in scenario.root_services:
                continue
            if scenario.second_site and host.site != self._sites[host.tenant][1]:
                continue
            out.append(host.index)
        return out

    def start(self, scenario: Scenario, root: int, at: float, origin: str) -> Fault:
        """Start ``scenario`` on host index ``root`` at ``at`` (epoch s) and record it in the truth log."""
        number = len(self.faults)
        fault = start_fault(
            number=number,
            fault_id=f"F-{number + 1:05d}",
            scenario=scenario,
            fleet=self.fleet,
            root=root,
            start=at,
            origin=origin,
            rng=self.rng,
            auto_end=self._auto_end,
        )
        self.faults.append(fault)
        self.active.append(fault)
        host = self.fleet.hosts[root]
        fault.affected_hosts.add(host.name)
        fault.affected_services.add(host.service)
        self.truth.add_fault(
            FaultRecord(
                id=fault.id,
                scenario=scenario.name,
                title=scenario.title,
                severity=scenario.severity.value,
                tenant=host.tenant,
                root_host=host.name,
                root_service=host.service,
                started_at=to_dt(at),
                remedy=scenario.remedy,
                also_fixes=list(scenario.also_fixes),
                origin=origin,
                affected_services=[host.service],
                affected_hosts=[host.name],
            )
        )
        # Random faults are ground truth, so only injected ones are announced in the shared log panel.
        log.log(
            logging.INFO if origin == "injected" else logging.DEBUG,
            "Fault %s started: %s on %s (%s)",
            fault.id,
            scenario.name,
            host.name,
            origin,
            extra={"log_type": LogType.GENERATOR},
        )
        return fault

    def end_fault(self, fault: Fault, at: float, reason: str) -> None:
        """End an active fault at ``at``: its effects stop and its event alerts resolve at the next step."""
        if not fault.active:
            return
        fault.active = False
        fault.ended = at
        self.active.remove(fault)
        self._ended.append(fault)
        self.truth.update_fault(fault.id, ended_at=to_dt(at), end_reason=reason)
        log.debug("Fault %s ended (%s)", fault.id, reason, extra={"log_type": LogType.GENERATOR})

    def inject(self, name: str, *, tenant: str | None = None, host: str | None = None) -> FaultRecord:
        """Start the named scenario now, on ``host`` or on an eligible host of ``tenant`` (or anywhere).

        Raises NotFound for an unknown scenario, tenant or host, InvalidInput when the host cannot carry
        the scenario or no host is free for it, Conflict before the first step (no sim time yet).
        """
        scenario = SCENARIOS.get(name)
        if scenario is None:
            raise NotFound(f"unknown scenario {name!r}")
        with self.lock:
            if self._t is None:
                raise Conflict("the simulation has not run yet: no sim time to inject at")
            if tenant is not None and tenant not in {t.name for t in self.fleet.tenants}:
                raise NotFound(f"unknown tenant {tenant!r}")
            if host is not None:
                if host not in self.fleet.host_index:
                    raise NotFound(f"unknown host {host!r}")
                root = self.fleet.host_index[host]
                suffix = self.fleet.services[self.fleet.hosts[root].service].suffix
                if scenario.root_services and suffix not in scenario.root_services:
                    raise InvalidInput("host", f"{name} hits {', '.join(scenario.root_services)} hosts, not {suffix}")
            else:
                candidates = self._candidates(scenario, tenant)
                if not candidates:
                    raise InvalidInput("scenario", f"no free host can carry {name} now")
                root = self.rng.choice(candidates)
            fault = self.start(scenario, root, self._t, "injected")
            return self.truth.fault(fault.id)

    # ------------------------------------------------------------------------------------------ views

    def status(self) -> WorldStatus:
        with self.lock:
            return WorldStatus(
                self.now, self.ticks, len(self.active), len(self.faults), self.alerts_emitted, self.storm
            )

    def host_state(self, index: int) -> HostState:
        """Return monitoring's view of host ``index``: down / degraded / healthy from its firing alerts."""
        with self.lock:
            firing = self.rules.firing_on(index)
            severities = {RULES[j].severity.value for j in np.nonzero(self.rules.firing[index])[0].tolist()}
            values = self.last_values
            metrics = {} if values is None else {m: round(float(values[index, i]), 3) for i, m in enumerate(METRICS)}
        if "InstanceDown" in firing:
            state = "down"
        elif severities & {"critical", "high"}:
            state = "degraded"
        else:
            state = "healthy"
        return HostState(state, firing, metrics)

    def observe(self, index: int) -> dict[str, float]:
        """Return the noise-free signals of host ``index`` at the current sim time, effects included."""
        with self.lock:
            t = self._t if self._t is not None else 0.0
            effects = Effects(len(self.fleet.hosts))
            for fault in self.active:
                fault.contribute(t, effects)
            effects.resolve()
            row = self.model.base[index].tolist() + self.model.state[index].tolist()
            out = np.array(row) * effects.mult[index] + effects.add[index]
            mask = ~np.isnan(effects.override[index])
            out[mask] = effects.override[index][mask]
            return {name: round(float(v), 3) for name, v in zip(SIGNALS, out, strict=True)}

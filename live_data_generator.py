"""The simulated world and its thread: `build_world` builds the world wired to the engine's sinks,
`build_simulation` the runner that steps it; start/stop, the sim clock and its speed, one step per sim tick.

`SimulationRunner` owns one named, non-daemon thread while the simulation runs. Stopping sets an
`Event` and joins with a timeout; the sim clock pauses while stopped and resumes where it was. A
runner built with ``history`` first steps the ticks of that span before the clock's start, as fast as
they compute: the fleet was already in operation, so forecasts, anomaly scores and incidents have a
past to work from instead of a warm-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from config.settings import Settings
from data.advisories import Advisory
from data.clock import SimClock
from data.models import LATEST_EVENT, LogType
from data.sim.world import World
from data.sinks import AlertSink, MetricSink, TopologySink
from data.timeutil import utc_now

log = logging.getLogger(__name__)

StepFn = Callable[[datetime], None]


@dataclass(frozen=True)
class SimulationStatus:
    """The runner's state; the world's counters are None when the runner drives no world."""

    running: bool
    sim_time: datetime
    speed: float
    seed: int
    ticks: int
    active_faults: int | None = None
    faults_started: int | None = None
    alerts_emitted: int | None = None
    storm: bool | None = None


class SimulationRunner:
    """Runs ``step(sim_time)`` once per ``tick_seconds`` of sim time on its own thread while started."""

    JOIN_TIMEOUT_S = 10.0

    def __init__(
        self,
        *,
        seed: int,
        speed: float,
        tick_seconds: float = 60.0,
        step: StepFn | None = None,
        clock: SimClock | None = None,
        world: World | None = None,
        history: timedelta = timedelta(0),
    ) -> None:
        self.seed = seed
        self.world = world  # the simulated world the step function drives (read by the fleet API)
        self._tick = timedelta(seconds=tick_seconds)
        self._step = step
        self._clock = clock if clock is not None else SimClock(utc_now(), speed)
        self._next_tick = self._clock.now() - history
        self._ticks = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def clock(self) -> SimClock:
        """The sim clock this runner steps by (frozen while stopped)."""
        return self._clock

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    def start(self) -> bool:
        """Start the thread; return False when it was already running."""
        with self._lock:
            if self.running:
                return False
            self._stop = threading.Event()
            self._clock.resume()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="simulation", daemon=False)
            self._thread.start()
        log.info(
            "Simulation started (speed %gx, seed %d)", self._clock.speed, self.seed, extra={"log_type": LogType.START}
        )
        return True

    def stop(self) -> bool:
        """Stop the thread and wait for it; return False when it was not running."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return False
            self._stop.set()
            thread.join(self.JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.error("simulation thread did not stop within %.0f s", self.JOIN_TIMEOUT_S)
            self._clock.pause()
            self._thread = None
        log.info("Simulation stopped after %d ticks", self._ticks, extra={"log_type": LogType.STOP})
        return True

    def shutdown(self) -> None:
        """Stop for good at application shutdown (idempotent)."""
        self.stop()

    def is_thread_alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def status(self) -> SimulationStatus:
        """Return the runner's state with the world's fault and alert counters (None without a world)."""
        state = SimulationStatus(self.running, self._clock.now(), self._clock.speed, self.seed, self._ticks)
        if self.world is None:
            return state
        world = self.world.status()
        return replace(
            state, active_faults=world.active_faults, faults_started=world.faults_started,
            alerts_emitted=world.alerts_emitted, storm=world.storm,
        )  # fmt: skip

    def _run(self, stop: threading.Event) -> None:
        wall_per_tick = self._tick.total_seconds() / self._clock.speed
        while not stop.is_set():
            try:
                self._catch_up(stop)
            except Exception:
                log.exception("simulation tick failed; continuing")
            stop.wait(min(wall_per_tick, 1.0))

    def _catch_up(self, stop: threading.Event) -> None:
        # Step every sim tick that is due, so a slow tick never makes sim time skip steps.
        now = self._clock.now()
        while self._next_tick <= now and not stop.is_set():
            if self._step is not None:
                self._step(self._next_tick)
            self._next_tick += self._tick
            self._ticks += 1


def build_world(
    settings: Settings,
    *,
    alert_sink: AlertSink,
    metric_sink: MetricSink,
    topology_sink: TopologySink,
    faults_paused: Callable[[], bool],
    on_advisory: Callable[[Advisory], None] | None = None,
) -> World:
    """Return the simulated fleet of ``settings`` (seed, tick) feeding the given sinks; while ``faults_paused()``
    holds (the kill switch) no fault starts at random. ``on_advisory`` receives each advisory it publishes."""
    return World(
        seed=settings.SIM_SEED,
        alert_sink=alert_sink,
        metric_sink=metric_sink,
        topology_sink=topology_sink,
        faults_paused=faults_paused,
        tick_seconds=settings.SIM_TICK_SECONDS,
        on_advisory=on_advisory,
    )


def build_simulation(
    settings: Settings, world: World, *, after_step: StepFn, newest_alert: datetime | None
) -> SimulationRunner:
    """Return the (stopped) runner that steps ``world`` and then ``after_step`` once per sim tick.

    ``newest_alert`` is the start time of the newest stored alert. Only a first start (None) gets a
    simulated past of ``SIM_HISTORY_HOURS``. After a restart the stored alerts are the past, and sim time
    (which runs ahead of the wall clock above 1x) resumes after the newest of them, so event time never
    goes backwards across restarts.
    """

    def step(sim_time: datetime) -> None:
        world.step(sim_time)
        after_step(sim_time)

    tick = timedelta(seconds=settings.SIM_TICK_SECONDS)
    # A stored alert from outside the event-time range (kept from before times were bounded) is not a past.
    usable = newest_alert is not None and newest_alert < LATEST_EVENT - tick
    start = max(utc_now(), newest_alert + tick) if usable and newest_alert is not None else utc_now()
    return SimulationRunner(
        seed=settings.SIM_SEED,
        speed=settings.SIM_SPEED,
        tick_seconds=settings.SIM_TICK_SECONDS,
        step=step,
        world=world,
        clock=SimClock(start, settings.SIM_SPEED),
        history=timedelta(hours=settings.SIM_HISTORY_HOURS) if newest_alert is None else timedelta(0),
    )

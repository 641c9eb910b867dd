"""The simulation runner: every due tick is stepped in order, failures do not stop it, the thread stops."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from data.clock import SimClock
from live_data_generator import SimulationRunner

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_runner_steps_each_due_tick_in_order_and_stops() -> None:
    wall = FakeMonotonic()
    stepped: list[datetime] = []
    done = threading.Event()

    def step(moment: datetime) -> None:
        stepped.append(moment)
        if len(stepped) == 5:
            done.set()

    runner = SimulationRunner(seed=1, speed=60, tick_seconds=60, step=step, clock=SimClock(T0, 60, monotonic=wall))
    wall.now = 0.0
    assert runner.start() and not runner.start()
    wall.now = 4.0  # four sim minutes later: ticks at T0 .. T0+4min are due
    assert done.wait(5)
    assert runner.stop() and not runner.stop()
    assert not runner.is_thread_alive()
    assert stepped == [T0 + timedelta(minutes=n) for n in range(5)]


def test_a_failing_tick_does_not_kill_the_loop() -> None:
    wall = FakeMonotonic()
    calls: list[datetime] = []
    recovered = threading.Event()

    def step(moment: datetime) -> None:
        calls.append(moment)
        if len(calls) == 1:
            raise RuntimeError("transient")
        recovered.set()

    runner = SimulationRunner(seed=1, speed=60, step=step, clock=SimClock(T0, 60, monotonic=wall))
    runner.start()
    wall.now = 1.0
    assert recovered.wait(5)
    runner.stop()


def test_history_ticks_are_stepped_first_then_the_live_ones() -> None:
    wall = FakeMonotonic()
    stepped: list[datetime] = []
    done = threading.Event()

    def step(moment: datetime) -> None:
        stepped.append(moment)
        if moment >= T0 + timedelta(minutes=1):
            done.set()

    clock = SimClock(T0, 60, monotonic=wall)
    runner = SimulationRunner(seed=1, speed=60, tick_seconds=60, step=step, clock=clock, history=timedelta(hours=2))
    runner.start()
    wall.now = 1.0
    assert done.wait(5)
    runner.stop()
    assert stepped == [T0 + timedelta(minutes=n) for n in range(-120, 2)]

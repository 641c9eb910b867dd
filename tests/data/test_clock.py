"""Sim and manual clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from data.clock import ManualClock, SimClock

START = datetime(2026, 1, 5, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_sim_clock_runs_at_its_speed_and_freezes_when_paused() -> None:
    wall = FakeMonotonic()
    clock = SimClock(START, speed=600, monotonic=wall)
    assert clock.paused and clock.now() == START
    clock.resume()
    wall.value += 2
    assert clock.now() == START + timedelta(seconds=1200)
    clock.pause()
    wall.value += 50
    assert clock.now() == START + timedelta(seconds=1200)
    clock.resume()
    clock.set_speed(1)
    wall.value += 30
    assert clock.now() == START + timedelta(seconds=1230)
    with pytest.raises(ValueError):
        clock.set_speed(0)


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(START)
    assert clock.advance(90) == START + timedelta(seconds=90)
    clock.set(START + timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(START)

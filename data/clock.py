"""Clocks for simulated time: a speed-scaled clock for the running simulation and a manual one for tests.

Everything that needs "now" in simulated time takes a `Clock`, so tests drive time by hand and stay
deterministic and fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from data.timeutil import to_utc


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time of this clock as an aware UTC datetime."""


class SimClock:
    """Simulated time running ``speed`` sim seconds per wall second while resumed, frozen while paused.

    ``monotonic`` is injectable so tests can drive wall time too. Thread-safe.
    """

    def __init__(self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._monotonic = monotonic
        self._speed = speed
        self._sim_anchor = to_utc(start)
        self._wall_anchor: float | None = None
        self._lock = threading.Lock()

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._wall_anchor is None

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._wall_anchor is None:
            return self._sim_anchor
        return self._sim_anchor + timedelta(seconds=(self._monotonic() - self._wall_anchor) * self._speed)

    def resume(self) -> None:
        """Let sim time run again from where it was paused (no-op when running)."""
        with self._lock:
            if self._wall_anchor is None:
                self._wall_anchor = self._monotonic()

    def pause(self) -> None:
        """Freeze sim time at its current value (no-op when paused)."""
        with self._lock:
            self._sim_anchor = self._now_locked()
            self._wall_anchor = None

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on without a jump in sim time."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        with self._lock:
            running = self._wall_anchor is not None
            self._sim_anchor = self._now_locked()
            self._wall_anchor = self._monotonic() if running else None
            self._speed = speed


class ManualClock:
    """A clock that only moves when told to; for tests and offline export runs."""

    def __init__(self, start: datetime) -> None:
        self._now = to_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (must not be negative) and return the new time."""
        if seconds < 0:
            raise ValueError("a clock never goes backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, value: datetime) -> None:
        """Jump to ``value``, which must not be earlier than the current time."""
        value = to_utc(value)
        with self._lock:
            if value < self._now:
                raise ValueError("a clock never goes backwards")
            self._now = value

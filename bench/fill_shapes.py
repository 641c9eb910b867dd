"""Synthetic filling resources for the time-to-full bench: a day of history and a week of future per case.

Each shape is a family (random level, rate, noise and timing per case, from the seed). The first two
(``DEV_SHAPES``) are what the method was built against; the rest (``HELD_OUT_SHAPES``) were written
afterwards and not used to choose anything, so their figures say how it carries over. Values are in
percent at one sample a minute; the limit is 90 %. The future has no clean-up: the truth is when the
series itself first reaches the limit if nobody acts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
STEP_S = 60.0
HISTORY = 1440  # one day at one sample a minute (the metric store's capacity)
FUTURE = 7 * 1440
LIMIT = 90.0


def _fill(rng: np.random.Generator) -> tuple[float, float]:
    """Return (level now, rate per sample) with the line reaching the limit 1 to 72 hours after now."""
    now = rng.uniform(35, 80)
    hours = float(np.exp(rng.uniform(np.log(1), np.log(72))))
    return now, (LIMIT - now) / (hours * 60)


def _ar(rng: np.random.Generator, n: int, phi: float, sd: float) -> Array:
    shocks, out = rng.normal(0, sd, n), np.zeros(n)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def _line(rng: np.random.Generator) -> tuple[Array, float, float]:
    now, rate = _fill(rng)
    t = np.arange(HISTORY + FUTURE, dtype=np.float64) - (HISTORY - 1)
    # A fast fill started within the day: before it, the resource sat at a floor of its own.
    return np.maximum(now + rate * t, rng.uniform(5, 30)), now, rate


def linear_white(rng: np.random.Generator) -> Array:
    line, _, _ = _line(rng)
    return line + rng.normal(0, rng.uniform(0.02, 1.0), len(line))


def sawtooth(rng: np.random.Generator) -> Array:
    """Clean-ups of up to 30 points every 3-9 hours in the history (the last one 1-12 hours ago), each
    from under the limit."""
    line, _, _ = _line(rng)
    freed = np.zeros(len(line))
    at, total = HISTORY - int(rng.uniform(60, 720)), 0.0
    while at > 0:
        drop = min(rng.uniform(10, 30), 88 - line[at - 1] - total)
        if drop < 5:
            break
        total += drop
        freed[:at] += drop
        at -= int(rng.uniform(180, 540))
    return line + freed + rng.normal(0, rng.uniform(0.02, 0.5), len(line))


def random_walk(rng: np.random.Generator) -> Array:
    line, _, rate = _line(rng)
    return line + np.cumsum(rng.normal(0, abs(rate) * rng.uniform(0.5, 3), len(line)))


def ar_fill(rng: np.random.Generator) -> Array:
    line, _, _ = _line(rng)
    return line + _ar(rng, len(line), rng.uniform(0.7, 0.98), rng.uniform(0.05, 0.4))


def accelerating(rng: np.random.Generator) -> Array:
    """The rate grows by half again over every day."""
    now, rate = _fill(rng)
    t = np.arange(HISTORY + FUTURE, dtype=np.float64) - (HISTORY - 1)
    growth = rng.uniform(0.2, 0.6) / 1440
    return now + rate * (t + 0.5 * growth * t**2) + rng.normal(0, 0.1, len(t))


def decelerating(rng: np.random.Generator) -> Array:
    """A fill that slows down (a log or cache that approaches its working-set size)."""
    now, rate = _fill(rng)
    t = np.arange(HISTORY + FUTURE, dtype=np.float64) - (HISTORY - 1)
    scale = rng.uniform(1, 3) * 1440
    shape: Array = scale * np.log1p(np.maximum(t + HISTORY, 0) / scale) - scale * np.log1p(HISTORY / scale)
    slope_now = 1 / (1 + HISTORY / scale)
    path: Array = now + rate / slope_now * shape + rng.normal(0, 0.1, len(t))
    return path


def staircase(rng: np.random.Generator) -> Array:
    """Batch writes: the fill moves in steps every 15-120 samples."""
    line, _, _ = _line(rng)
    every = int(rng.integers(15, 120))
    stepped = line[(np.arange(len(line)) // every) * every]
    return stepped + rng.normal(0, 0.01, len(line))


def daily_cycle(rng: np.random.Generator) -> Array:
    """Temporary files that grow by day and shrink by night on top of the fill."""
    line, _, _ = _line(rng)
    t = np.arange(len(line))
    cycle = rng.uniform(1, 5) * np.sin(2 * np.pi * t / 1440 + rng.uniform(0, 2 * np.pi))
    return line + cycle + rng.normal(0, 0.1, len(t))


def gradual_cleanup(rng: np.random.Generator) -> Array:
    """One clean-up that takes 20-90 minutes, 2-16 hours ago, then the fill goes on."""
    line, _, _ = _line(rng)
    length = int(rng.integers(20, 90))
    end = HISTORY - int(rng.uniform(120, 960))
    freed = np.zeros(len(line))
    freed[: end - length] = rng.uniform(15, 35)
    freed[end - length : end] = np.linspace(freed[0], 0, length)
    return line + freed + rng.normal(0, 0.1, len(line))


def rate_change(rng: np.random.Generator) -> Array:
    """The fill rate was a quarter to a half of today's until 2-12 hours ago."""
    now, rate = _fill(rng)
    t = np.arange(HISTORY + FUTURE, dtype=np.float64) - (HISTORY - 1)
    change = -rng.uniform(120, 720)
    before = rate * rng.uniform(0.25, 0.5)
    path = now + np.where(t >= change, rate * t, rate * change + before * (t - change))
    return path + rng.normal(0, 0.1, len(t))


DEV_SHAPES: dict[str, Callable[[np.random.Generator], Array]] = {
    "linear + white noise": linear_white,
    "clean-ups (sawtooth)": sawtooth,
}
HELD_OUT_SHAPES: dict[str, Callable[[np.random.Generator], Array]] = {
    "random-walk fill": random_walk,
    "AR(1) noise": ar_fill,
    "accelerating": accelerating,
    "decelerating": decelerating,
    "staircase (batch writes)": staircase,
    "daily cycle on a fill": daily_cycle,
    "gradual clean-up": gradual_cleanup,
    "rate change": rate_change,
}


def first_crossing_s(path: Array) -> float | None:
    """Return the seconds from the newest history sample until the future first reaches ``LIMIT``, or None."""
    above = np.flatnonzero(path[HISTORY:] >= LIMIT)
    return None if len(above) == 0 else float(above[0] + 1) * STEP_S

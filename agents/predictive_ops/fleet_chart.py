"""The fleet chart: the mean of one metric over every forecast series, its recent past and its forecast."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

CHART_POINTS = 12  # points of history and of forecast the chart shows

History = Callable[[str, str], tuple[list[datetime], NDArray[np.float64]] | None]


class Forecast(Protocol):
    @property
    def host(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def point(self) -> NDArray[np.float64]: ...
    @property
    def last_time(self) -> datetime: ...
    @property
    def step(self) -> timedelta: ...


@dataclass(frozen=True)
class FleetChart:
    """The chart's time labels and the fleet-mean series of cpu and memory (see `fleet_chart`)."""

    hours: list[str]
    cpu: dict[str, list[float | None]]
    memory: dict[str, list[float | None]]


def chart_hours(forecasts: Sequence[Forecast], points: int = CHART_POINTS) -> list[str]:
    """Return the HH:MM labels of ``points`` past and ``points`` forecast steps, from the first forecast's
    last sample time and step (empty without forecasts)."""
    if not forecasts:
        return []
    first = forecasts[0]
    start = first.last_time - first.step * (points - 1)
    return [(start + first.step * i).strftime("%H:%M") for i in range(2 * points)]


def fleet_chart(
    forecasts: Sequence[Forecast], history: History, metric: str, points: int = CHART_POINTS
) -> dict[str, list[float | None]]:
    """Return ``{"actual": ..., "predicted": ...}`` for ``metric``: ``points`` fleet-mean values of the
    series with that much history followed by ``points`` nulls, and ``points`` nulls followed by the
    fleet-mean forecast (both lists empty without a forecast of ``metric``)."""
    rows = [f for f in forecasts if f.metric == metric]
    if not rows:
        return {"actual": [], "predicted": []}
    histories = [history(f.host, f.metric) for f in rows]
    actual = np.mean([h[1][-points:] for h in histories if h and len(h[1]) >= points], axis=0)
    predicted = np.mean([f.point[:points] for f in rows], axis=0)
    return {
        "actual": [round(float(v), 2) for v in actual] + [None] * points,
        "predicted": [None] * points + [round(float(v), 2) for v in predicted],
    }

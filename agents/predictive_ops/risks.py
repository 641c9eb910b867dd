"""Exhaustion risks: when a forecast crosses a metric's threshold, how likely, and what to do about it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from data.models import Risk

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Threshold:
    value: float
    action: str
    what: str


# Saturation points an operator acts on, and the runbook action that relieves each.
THRESHOLDS = {
    "disk": Threshold(90.0, "disk_cleanup", "Disk"),
    "memory": Threshold(90.0, "restart_service", "Memory"),
    "cpu": Threshold(95.0, "scale_out", "CPU"),
    "error_rate": Threshold(5.0, "restart_service", "Error rate"),
}


def crossing(point: Array, sd: Array, threshold: float) -> tuple[int | None, float]:
    """Return (first step whose median forecast reaches ``threshold`` or None, P(reached by the horizon's end))."""
    above = np.flatnonzero(point >= threshold)
    first = int(above[0]) if len(above) else None
    z = (threshold - float(point[-1])) / max(float(sd[-1]), 1e-9)
    probability = 0.5 * math.erfc(z / math.sqrt(2.0))
    return first, probability


def risk_for(
    host: str, metric: str, point: Array, sd: Array, *, now: datetime, step: timedelta, min_probability: float = 0.5
) -> Risk | None:
    """Return the risk of ``metric`` on ``host`` crossing its threshold within the forecast, or None."""
    rule = THRESHOLDS.get(metric)
    if rule is None:
        return None
    first, probability = crossing(point, sd, rule.value)
    if first is None and probability < min_probability:
        return None
    steps = first + 1 if first is not None else len(point)
    return Risk(
        id=f"RISK-{host}-{metric}",
        host=host,
        metric=metric,
        threshold=rule.value,
        eta=now + step * steps,
        probability=round(min(max(probability, 0.0), 1.0), 4),
        recommended_action=rule.action,
        created_at=now,
    )


def risk_severity(probability: float) -> str:
    """Return the severity a risk of ``probability`` is shown with: critical from 0.9, high from 0.7, else medium."""
    return "critical" if probability >= 0.9 else "high" if probability >= 0.7 else "medium"

"""Breaches and risks: a metric already over its threshold (since when), or a forecast that crosses it (when).

A **breach** is an observation: the newest sample is over the threshold; it says since when the series
has been over it without a break. A **risk** is a prediction: the series is under its threshold and its
forecast crosses it. The risk's ETA is where that series' median forecast crosses, with the interval
from where its upper and lower bounds cross, so two hosts filling at different rates get different
ETAs. For resources that only fill between clean-ups (`Threshold.exhaustion`) the forecast is the
fill since the last clean-up (`exhaustion.fit_exhaustion`), which reaches past the ETS horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from agents.predictive_ops.exhaustion import fit_exhaustion
from data.models import Breach, Risk

Array = NDArray[np.float64]

ETS_METHOD = "ets"
EXHAUSTION_METHOD = "linear_since_reset"


@dataclass(frozen=True)
class Threshold:
    value: float
    action: str
    what: str
    exhaustion: bool = False  # fills between clean-ups: time-to-full from the fill's trend
    above: bool = True  # False: the limit is crossed from above (days left on a certificate)


# Saturation points an operator acts on, and the runbook action that relieves each.
THRESHOLDS = {
    "disk": Threshold(90.0, "disk_cleanup", "Disk", exhaustion=True),
    "inodes": Threshold(90.0, "disk_cleanup", "Inodes", exhaustion=True),
    "memory": Threshold(90.0, "restart_service", "Memory"),
    "cpu": Threshold(95.0, "scale_out", "CPU"),
    "error_rate": Threshold(5.0, "restart_service", "Error rate"),
    "cert_days": Threshold(7.0, "renew_certificate", "Certificate days left", exhaustion=True, above=False),
}


def threshold_of(metric: str) -> float | None:
    """Return the threshold a metric's breaches and risks are judged against, or None for a metric without one."""
    rule = THRESHOLDS.get(metric)
    return None if rule is None else rule.value


@dataclass(frozen=True)
class Crossing:
    """Steps ahead (1 = the next sample) at which a forecast reaches the threshold: ``median`` by the point
    forecast, ``earliest`` by the bound nearer the threshold, ``latest`` by the farther one (None: not within
    the forecast), and ``probability`` of being past the threshold at the forecast's last step."""

    median: int | None
    earliest: int | None
    latest: int | None
    probability: float


def _first(reached: NDArray[np.bool_]) -> int | None:
    found = np.flatnonzero(reached)
    return int(found[0]) + 1 if len(found) else None


def crossing(point: Array, lower: Array, upper: Array, threshold: float, *, above: bool = True) -> Crossing:
    """Return where the forecast ``point`` and its interval [``lower``, ``upper``] reach ``threshold``."""
    if not above:  # mirror so that "reaching" is always upwards
        point, lower, upper, threshold = -point, -upper, -lower, -threshold
    sd = max(float(upper[-1] - point[-1]) / 1.959963984540054, 1e-9)
    z = (threshold - float(point[-1])) / sd
    return Crossing(
        median=_first(point >= threshold),
        earliest=_first(upper >= threshold),
        latest=_first(lower >= threshold),
        probability=min(max(0.5 * math.erfc(z / math.sqrt(2.0)), 0.0), 1.0),
    )


def breach_for(host: str, metric: str, times: Array, values: Array, *, source: str | None = None) -> Breach | None:
    """Return the breach of ``metric`` on ``host`` when its newest sample is over the threshold, else None.

    ``since`` is the first sample of the unbroken run over the threshold that ends at the newest sample;
    ``since_known`` is False when that run starts at the oldest sample kept (it may have started earlier).
    """
    rule = THRESHOLDS.get(metric)
    if rule is None or len(values) == 0:
        return None
    over = values >= rule.value if rule.above else values <= rule.value
    if not over[-1]:
        return None
    under = np.flatnonzero(~over)
    first = int(under[-1]) + 1 if len(under) else 0
    return Breach(
        id=f"BREACH-{host}-{metric}", host=host, metric=metric, threshold=rule.value, value=float(values[-1]),
        since=datetime.fromtimestamp(float(times[first]), tz=UTC), since_known=first > 0,
        recommended_action=rule.action, source=source,
    )  # fmt: skip


def risk_for(
    host: str,
    metric: str,
    *,
    times: Array,
    values: Array,
    point: Array,
    lower: Array,
    upper: Array,
    step: timedelta,
    exhaustion_horizon: timedelta = timedelta(hours=24),
    min_probability: float = 0.5,
    source: str | None = None,
) -> Risk | None:
    """Return the risk of ``metric`` on ``host`` crossing its threshold, or None (no rule, already over it,
    or a crossing less likely than ``min_probability`` within the horizon).

    ``times``/``values`` are the series' history (epoch seconds), ``point``/``lower``/``upper`` its ETS forecast
    one ``step`` apart. Exhaustion metrics use the fill since the last clean-up over ``exhaustion_horizon``
    and fall back to the ETS forecast when that fill cannot be fitted.
    """
    rule = THRESHOLDS.get(metric)
    if rule is None or len(values) == 0:
        return None
    last = float(values[-1])
    if (last >= rule.value) if rule.above else (last <= rule.value):
        return None  # a breach, not a risk
    now = datetime.fromtimestamp(float(times[-1]), tz=UTC)

    def make(
        eta: timedelta, earliest: timedelta | None, latest: timedelta | None, p: float, by: timedelta, method: str
    ) -> Risk:
        return Risk(
            id=f"RISK-{host}-{metric}", host=host, metric=metric, threshold=rule.value, eta=now + eta,
            eta_earliest=None if earliest is None else now + earliest,
            eta_latest=None if latest is None else now + latest,
            probability=round(min(max(p, 0.0), 1.0), 4), probability_by=now + by,
            recommended_action=rule.action, created_at=now, method=method, source=source, last_value=last,
        )  # fmt: skip

    if rule.exhaustion:
        sign = 1.0 if rule.above else -1.0
        fill = fit_exhaustion(times, sign * values, sign * rule.value)
        if fill is not None:
            horizon = exhaustion_horizon
            p = fill.probability_by(sign * rule.value, horizon.total_seconds())
            if fill.eta_s is None or p < min_probability:
                return None
            late = None if fill.eta_high_s is None else timedelta(seconds=fill.eta_high_s)
            low = None if fill.eta_low_s is None else timedelta(seconds=fill.eta_low_s)
            return make(timedelta(seconds=fill.eta_s), low, late, p, horizon, EXHAUSTION_METHOD)
    horizon = step * len(point)
    found = crossing(point, lower, upper, rule.value, above=rule.above)
    if found.median is None or found.probability < min_probability:
        return None

    def ahead(steps: int | None) -> timedelta | None:
        return None if steps is None else step * steps

    return make(step * found.median, ahead(found.earliest), ahead(found.latest), found.probability, horizon, ETS_METHOD)


def risk_severity(probability: float) -> str:
    """Return the severity a risk of ``probability`` is shown with: critical from 0.9, high from 0.7, else medium."""
    return "critical" if probability >= 0.9 else "high" if probability >= 0.7 else "medium"

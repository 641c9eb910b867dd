"""Breaches and risks: over the threshold now is a breach with its start; a crossing ahead is a risk whose ETA
comes from where that series' forecast and interval cross."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from agents.predictive_ops.ets.forecaster import fit, forecast
from agents.predictive_ops.risks import ETS_METHOD, EXHAUSTION_METHOD, breach_for, crossing, risk_for, risk_severity
from data.models import Risk

T0 = datetime(2026, 5, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def minutes(n: int) -> NDArray[np.float64]:
    return T0.timestamp() + np.arange(n, dtype=np.float64) * 60.0


def ets_risk(metric: str, values: np.ndarray, horizon: int = 120) -> Risk | None:
    state = fit(values[None, :])
    point, lower, upper = forecast(state, horizon)
    return risk_for(
        "h1", metric, times=minutes(len(values)), values=values, point=point[0], lower=lower[0], upper=upper[0],
        step=MINUTE,
    )  # fmt: skip


def test_a_linear_fill_is_a_risk_whose_interval_holds_the_true_crossing() -> None:
    rng = np.random.default_rng(2)
    disk = 60 + 0.05 * np.arange(240) + rng.normal(0, 0.05, 240)  # +3 points an hour, 72 % now
    risk = ets_risk("disk", disk)
    assert risk is not None and risk.method == EXHAUSTION_METHOD
    now = T0 + 239 * MINUTE
    truth = T0 + timedelta(minutes=(90 - 60) / 0.05)
    assert risk.eta_earliest is not None and risk.eta_latest is not None
    assert risk.eta_earliest <= truth <= risk.eta_latest
    assert abs(risk.eta - truth) < 10 * MINUTE and risk.created_at == now
    assert risk.probability > 0.9 and risk.probability_by == now + timedelta(hours=24)


def test_an_ets_risk_takes_its_eta_from_its_own_forecast() -> None:
    rng = np.random.default_rng(3)
    cases = ((10.0, 0.3), (0.0, 0.35))  # memory at 81.7 and 83.65 now, crossing 90 in 28 and 18 minutes
    risks = []
    for start, rate in cases:
        risk = ets_risk("memory", start + rate * np.arange(240) + rng.normal(0, 0.3, 240))
        assert risk is not None and risk.method == ETS_METHOD
        truth = T0 + timedelta(minutes=(90 - start) / rate)
        assert abs(risk.eta - truth) <= 5 * MINUTE
        assert risk.eta_earliest is not None and risk.eta_latest is not None
        assert risk.eta_earliest <= risk.eta <= risk.eta_latest
        risks.append(risk)
    assert risks[1].eta < risks[0].eta


def test_flat_series_has_no_risk() -> None:
    flat = 40 + np.random.default_rng(4).normal(0, 0.5, 240)
    assert ets_risk("disk", flat) is None
    assert ets_risk("cpu", flat) is None
    assert ets_risk("network", flat + 100) is None  # no threshold for it


def test_a_series_over_its_threshold_is_a_breach_since_its_run_started_not_a_risk() -> None:
    values = np.array([80.0] * 50 + [95.0] * 5 + [85.0] + [96.0] * 10)
    times = minutes(len(values))
    assert ets_risk("disk", values) is None
    breach = breach_for("h1", "disk", times, values, source="prometheus")
    assert breach is not None and breach.since == T0 + 56 * MINUTE and breach.since_known
    assert breach.value == 96.0 and breach.threshold == 90.0 and breach.source == "prometheus"
    always = breach_for("h1", "disk", times, np.full(len(times), 99.0))
    assert always is not None and always.since == T0 and not always.since_known
    assert breach_for("h1", "disk", times[:56], values[:56]) is None  # 85 % is under


def test_certificate_days_left_cross_from_above() -> None:
    days = 30 - np.arange(1440, dtype=np.float64) / 1440  # one day a day: 29 days left now, 7 in 22 days
    times = minutes(len(days))
    point = np.full(10, days[-1])
    risk = risk_for(
        "h1", "cert_days", times=times, values=days, point=point, lower=point, upper=point, step=MINUTE,
        exhaustion_horizon=timedelta(days=30),
    )  # fmt: skip
    assert risk is not None and risk.recommended_action == "renew_certificate"
    assert abs(risk.eta - (T0 + timedelta(days=23))) < timedelta(hours=1)
    expired = breach_for("h1", "cert_days", times, days - 22.5)  # 7 days left half a day ago
    assert expired is not None and expired.since_known and expired.since == T0 + 720 * MINUTE


def test_crossing_steps_from_point_and_bounds() -> None:
    point = np.arange(10, dtype=np.float64)
    found = crossing(point, point - 2, point + 2, 5.0)
    assert (found.earliest, found.median, found.latest) == (4, 6, 8)
    assert found.probability > 0.9
    mirrored = crossing(-point, -point - 2, -point + 2, -5.0, above=False)
    assert (mirrored.earliest, mirrored.median, mirrored.latest) == (4, 6, 8)


def test_severity_cut_offs() -> None:
    assert [risk_severity(p) for p in (0.5, 0.69, 0.7, 0.89, 0.9, 1.0)] == [
        "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip

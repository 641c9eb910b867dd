"""Exhaustion risks from forecasts: a linear disk fill gives the right ETA; a flat series gives none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from agents.predictive_ops.ets.forecaster import fit, forecast
from agents.predictive_ops.risks import risk_for, risk_severity

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_linear_disk_fill_eta() -> None:
    rng = np.random.default_rng(2)
    minutes = np.arange(240)
    disk = 60 + 0.05 * minutes + rng.normal(0, 0.05, 240)  # +3 points an hour, 72 % now
    state = fit(disk[None, :])
    point, lower, _ = forecast(state, 600)
    sd = (point - lower) / 1.96
    risk = risk_for("db-1", "disk", point[0], sd[0], now=NOW, step=timedelta(minutes=1))
    assert risk is not None and risk.recommended_action == "disk_cleanup" and risk.threshold == 90.0
    expected = NOW + timedelta(minutes=(90 - disk[-1]) / 0.05)
    assert abs((risk.eta - expected).total_seconds()) < 20 * 60
    assert risk.probability > 0.9


def test_flat_series_has_no_risk() -> None:
    flat = 40 + np.random.default_rng(4).normal(0, 0.5, 240)
    state = fit(flat[None, :])
    point, lower, _ = forecast(state, 60)
    assert risk_for("db-1", "disk", point[0], (point[0] - lower[0]) / 1.96, now=NOW, step=timedelta(minutes=1)) is None


def test_severity_cut_offs() -> None:
    assert [risk_severity(p) for p in (0.5, 0.69, 0.7, 0.89, 0.9, 1.0)] == [
        "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip

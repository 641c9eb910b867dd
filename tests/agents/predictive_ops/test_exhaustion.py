"""Time-to-full since the last clean-up: a clean-up resets the trend, the interval holds the truth, and a
window holding a clean-up misleads `predict_linear` but not the fill."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from agents.predictive_ops.exhaustion import fit_exhaustion, last_reset, noise_sd, predict_linear_eta

STEP = 60.0


def seconds(n: int) -> NDArray[np.float64]:
    return np.arange(n, dtype=np.float64) * STEP


def test_noise_sd_is_the_level_noise_and_ignores_a_trend() -> None:
    rng = np.random.default_rng(1)
    values = 0.1 * np.arange(5000) + rng.normal(0, 2.0, 5000)
    assert noise_sd(values) == pytest.approx(2.0, rel=0.1)


@pytest.mark.parametrize("duration", [1, 10, 25])
def test_a_clean_up_resets_the_fill_however_fast_it_happens(duration: int) -> None:
    rng = np.random.default_rng(duration)
    fill = 40 + 0.02 * np.arange(600) + rng.normal(0, 0.1, 600)
    fill[400 : 400 + duration] -= np.linspace(0, 15, duration)
    fill[400 + duration :] -= 15  # 15 points freed
    start = last_reset(fill)
    assert 400 + duration - 2 <= start <= 400 + duration + 5


def test_noise_and_a_steady_fill_are_not_clean_ups() -> None:
    rng = np.random.default_rng(3)
    assert last_reset(50 + rng.normal(0, 1, 2000)) == 0
    assert last_reset(np.arange(500, dtype=np.float64)) == 0
    stairs = np.repeat(np.arange(50, dtype=np.float64), 10)  # batch writes: a step every ten samples
    assert last_reset(stairs) == 0


def test_after_a_clean_up_the_eta_follows_the_new_fill_and_predict_linear_does_not() -> None:
    rng = np.random.default_rng(7)
    t = seconds(720)
    before = 50 + 0.05 * np.arange(600)  # 80 % at sample 600, then 30 points freed
    after = 50 + 0.02 * np.arange(120)  # refills at 1.2 points an hour
    values = np.concatenate([before, after]) + rng.normal(0, 0.05, 720)
    truth = (90 - after[-1]) / 0.02 * STEP
    fill = fit_exhaustion(t, values, 90.0)
    assert fill is not None and fill.start >= 600 and fill.eta_s is not None
    assert fill.eta_low_s is not None and fill.eta_high_s is not None
    assert fill.eta_low_s <= truth <= fill.eta_high_s
    assert abs(fill.eta_s - truth) < 0.1 * truth
    six_hours = predict_linear_eta(t, values, 90.0, window_s=6 * 3600)
    assert six_hours is None or abs(six_hours - truth) > 0.5 * truth  # its window straddles the clean-up


def test_the_interval_covers_the_truth_on_autocorrelated_fills() -> None:
    """AR(1) noise on a fill: most intervals (not fitted to these seeds) hold the time the series crosses."""
    covered, total = 0, 0
    n, m = 600, 4600
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        shocks, noise = rng.normal(0, 0.3, m), np.zeros(m)
        for i in range(1, m):
            noise[i] = 0.9 * noise[i - 1] + shocks[i]
        path = 40 + 0.03 * np.arange(m) + noise
        crossed = np.flatnonzero(path[n:] >= 90)
        fill = fit_exhaustion(seconds(n), path[:n], 90.0)
        assert fill is not None and len(crossed)
        total += 1
        low, high = fill.eta_low_s or 0.0, fill.eta_high_s or np.inf
        covered += low <= (crossed[0] + 1) * STEP <= high
    assert covered / total >= 0.8


def test_probability_by_follows_the_slope_distribution() -> None:
    t = seconds(300)
    values = 50 + 0.01 * np.arange(300) + np.random.default_rng(2).normal(0, 0.2, 300)
    fill = fit_exhaustion(t, values, 90.0)
    assert fill is not None and fill.eta_s is not None
    assert fill.probability_by(90.0, fill.eta_s) == pytest.approx(0.5, abs=0.01)
    assert fill.probability_by(90.0, 10 * fill.eta_s) > 0.95
    assert fill.probability_by(90.0, 0.1 * fill.eta_s) < 0.05
    assert fit_exhaustion(t[:5], values[:5], 90.0) is None


def test_after_a_change_of_rate_the_eta_follows_the_new_rate() -> None:
    rng = np.random.default_rng(9)
    rate = np.where(np.arange(1440) < 1200, 0.005, 0.04)  # four hours ago the fill went eight times faster
    values = 40 + np.cumsum(rate) + rng.normal(0, 0.1, 1440)
    fill = fit_exhaustion(seconds(1440), values, 90.0)
    truth = (90 - (40 + rate.sum())) / 0.04 * STEP
    assert fill is not None and fill.eta_s is not None and 1150 <= fill.start <= 1250
    assert abs(fill.eta_s - truth) < 0.1 * truth
    steady = 40 + 0.02 * np.arange(1440) + rng.normal(0, 0.3, 1440)
    assert fit_exhaustion(seconds(1440), steady, 90.0).start == 0  # type: ignore[union-attr]

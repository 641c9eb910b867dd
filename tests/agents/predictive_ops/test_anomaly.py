"""Anomaly scores: causal (no look-ahead), in [0, 1], high on injected anomalies, damped by the cool-down."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from agents.predictive_ops.anomaly import DetectorParams, _seasonal_evidence, daily_period, raw_scores, scores
from tests.conftest import SHARED_DIR

NAB_FILE = SHARED_DIR / "data" / "nab" / "realAWSCloudwatch" / "grok_asg_anomaly.csv"


def series(length: int = 2000, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return 50 + 10 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 1, length)


def test_scores_do_not_look_ahead() -> None:
    y = series()
    base = scores(y)
    changed = y.copy()
    changed[1200:] += 100.0  # the future changes completely
    assert np.array_equal(scores(changed)[:1200], base[:1200])
    for cut in (60, 500, 1299):
        assert np.array_equal(scores(y[:cut]), base[:cut])


def test_range_and_detection_of_a_spike() -> None:
    y = series()
    y[800] += 40.0
    result = scores(y)
    assert result.min() >= 0.0 and result.max() < 1.0
    assert result[800] >= 0.5


def test_detection_of_a_level_shift_inside_the_daily_range() -> None:
    y = series()
    y[1500:] += 8.0  # less than the daily swing of 20: only the jump and the changed ranks show it
    result = scores(y)
    assert result[1500:1520].max() >= 0.5


def test_quiet_noise_rarely_flags() -> None:
    result = scores(series(4000, seed=11))
    assert (result >= 0.5).mean() < 0.005


def test_cool_down_reports_one_event_once() -> None:
    y = series()
    y[900:960] += 60.0  # one long anomaly
    evidence = raw_scores(y)
    result = scores(y)
    assert (evidence[900:1100] >= 0.4).sum() > 20  # the evidence stays up for much of the episode
    assert result[900:905].max() >= 0.5
    assert (result[900:1100] >= 0.4).sum() <= 3  # but it is reported once or twice


def test_a_weaker_spike_is_reported_once_the_stronger_one_is_out_of_the_history() -> None:
    y = series(3000)
    y[900] += 60.0
    y[1300] += 20.0  # weaker and within the history: not a new record
    y[2200] += 40.0  # weaker than the first too, but more than `history` samples after it
    result = scores(y, DetectorParams(history=1000))
    assert result[900] >= 0.5 and result[2200] >= 0.5
    assert result[1300] < 0.5


def test_constant_series_gives_no_flags() -> None:
    assert not scores(np.full(1500, 7.0)).any()


def test_nan_samples_and_short_input() -> None:
    y = series()
    y[[300, 301, 1000]] = np.nan
    result = scores(y)
    assert np.isfinite(result).all() and result.min() >= 0.0 and result.max() < 1.0
    assert result[[300, 301, 1000]].max() == 0.0
    assert not scores(np.arange(10.0)).any()
    assert scores(np.array([])).shape == (0,)
    assert not scores(np.full(200, np.nan)).any()


def test_real_metric_is_scored_causally() -> None:
    if not NAB_FILE.is_file():
        pytest.skip(f"NAB data not present at {NAB_FILE} (the shared folder beside the repository)")
    with NAB_FILE.open(newline="") as handle:
        y = np.array([float(row["value"]) for row in csv.DictReader(handle)])
    full = scores(y)
    assert full.min() >= 0.0 and full.max() < 1.0
    assert np.array_equal(scores(y[:2500]), full[:2500])


def test_routine_bursts_are_mostly_quiet_and_a_larger_one_is_flagged() -> None:
    rng = np.random.default_rng(3)
    y = 5 + rng.normal(0, 1, 4000)
    for start in range(150, 4000, 288):
        y[start : start + 12] += 6.0  # a daily batch job
    y[3500:3512] += 12.0  # one run twice as heavy as usual
    result = scores(y)
    routine = [start for start in range(726, 3490, 288) if result[start : start + 12].max() >= 0.5]
    assert len(routine) <= 3  # of 10 routine bursts after the first two days
    assert result[3500:3512].max() >= 0.5


def test_a_small_spike_a_day_after_a_level_shift_is_flagged() -> None:
    y = series(3000)
    y[1000:] += 30.0  # a shift whose transient outgrows every later residual
    y[1600] += 9.0  # then a spike a third of its size, two days on
    result = scores(y)
    assert result[1000:1010].max() >= 0.5
    assert result[1600] >= 0.5


def test_a_daily_spike_with_a_drifting_period_stays_routine_and_a_larger_one_is_flagged() -> None:
    rng = np.random.default_rng(8)
    y = 5 + rng.normal(0, 1, 4200)
    daily = list(range(100, 4200, 290))  # a little more than a day apart, as a cron drifts
    y[daily] += 15.0
    y[3000] += 30.0
    result = scores(y)
    routine = [t for t in daily if 700 <= t < 3000 and result[t] >= 0.5]
    assert len(routine) <= 1
    assert result[3000] >= 0.5


def daily_plateaus(length: int = 4032, seed: int = 4) -> np.ndarray:
    """A 5-minute series whose level jumps from 20 to 80 for six hours each day, with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    return 20.0 + 60.0 * ((t % 288) >= 144) * ((t % 288) < 216) + rng.normal(0, 1, length)


def test_a_missing_daily_peak_is_flagged_by_the_seasonal_evidence() -> None:
    y = daily_plateaus()
    y[2736 + 144 : 2736 + 216] = 20.0 + y[2736 + 144 : 2736 + 216] - 80.0  # day 9: the peak never comes
    seasonal = _seasonal_evidence(y, DetectorParams())
    assert seasonal[2880:2890].max() >= 1.0  # when the jump should have happened
    assert scores(y)[2880:2952].max() >= 0.5
    assert (scores(daily_plateaus())[900:] >= 0.5).sum() == 0  # the intact cycle is never flagged


def test_an_odd_day_is_outvoted_and_does_not_echo_a_cycle_later() -> None:
    y = daily_plateaus()
    y[2000:2012] += 60.0  # an incident on day 7
    seasonal = _seasonal_evidence(y, DetectorParams())
    assert seasonal[2000:2012].max() >= 1.0
    # A day later the same phase of the last three cycles still has two normal ones: no echo.
    assert seasonal[2288:2300].max() < 0.5


def test_the_seasonal_evidence_stays_silent_without_a_cycle() -> None:
    y = 50 + np.random.default_rng(6).normal(0, 1, 4000)
    y[3000] += 30.0  # the spike evidence's job: a series with no cycle leaves it to the others
    assert not _seasonal_evidence(y, DetectorParams()).any()
    assert scores(y)[3000] >= 0.5


def test_daily_period_counts_samples_per_day_at_the_median_interval() -> None:
    five_minutes = np.arange(0.0, 3000.0 * 60, 300.0)
    assert daily_period(five_minutes) == 288
    hourly = np.arange(0.0, 100 * 3600.0, 3600.0)
    hourly[10] += 7.0  # one late sample does not move the median
    assert daily_period(hourly) == 24
    assert daily_period(np.arange(0.0, 30 * 86400.0, 86400.0)) is None  # fewer than four samples a day
    assert daily_period(np.zeros(50)) is None and daily_period(np.array([5.0])) is None


def test_an_hourly_series_uses_its_own_day_for_the_seasonal_evidence() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(24 * 40)
    y = 20.0 + 60.0 * ((t % 24) >= 12) * ((t % 24) < 18) + rng.normal(0, 1, len(t))
    y[24 * 30 + 12 : 24 * 30 + 18] -= 60.0  # day 30: the afternoon plateau does not come
    hourly = DetectorParams(period=24)
    assert _seasonal_evidence(y, hourly)[24 * 30 + 12] >= 1.0
    assert _seasonal_evidence(y, hourly)[: 24 * 30].max() < 1.0
    assert not _seasonal_evidence(y, DetectorParams()).any()  # a 288-sample "day" is no cycle of it

"""Anomaly scores: causal (no look-ahead), in [0, 1], high on injected anomalies, damped by the cool-down."""

from __future__ import annotations

import numpy as np

from agents.anomaly import DetectorParams, scores


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


def test_range_and_detection_of_a_spike_and_a_level_shift() -> None:
    y = series()
    y[800] += 40.0
    y[1500:] += 8.0
    result = scores(y)
    assert result.min() >= 0.0 and result.max() < 1.0
    quiet = np.percentile(result[400:790], 99)
    assert result[800] > quiet
    assert result[1500:1510].max() > quiet


def test_cool_down_reports_one_event_once() -> None:
    y = series()
    y[900:960] += 60.0  # one long anomaly
    result = scores(y, DetectorParams(cooldown=288))
    strong = result >= 0.5
    assert strong[900:905].any()
    assert strong[910:960].sum() == 0


def test_short_series_scores_zero() -> None:
    assert not scores(np.arange(10.0)).any()

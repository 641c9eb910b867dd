"""PredictiveOps: flags raised once per sample as it arrives, scored against a truth; risk predictions settled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from agents.predictive_ops.detection_quality import FixedTruth, TruthWindow
from agents.predictive_ops.engine import FIT_POINTS, MIN_POINTS, SCORE_POINTS, PredictiveOps
from agents.predictive_ops.metric_store import MetricStore
from data.models import MetricSampleIn

Array = NDArray[np.float64]
T0 = datetime(2026, 5, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def feed(store: MetricStore, host: str, metric: str, values: Sequence[float] | Array, first: int) -> None:
    store.ingest_samples(
        [
            MetricSampleIn(labels={"host": host, "metric": metric}, timestamp=T0 + (first + i) * MINUTE, value=float(v))
            for i, v in enumerate(values)
        ]
    )


def test_a_spike_is_flagged_once_when_it_arrives_and_scored_against_truth() -> None:
    rng = np.random.default_rng(5)
    values = 50 + rng.normal(0, 1, 520)
    values[460:466] += 40  # a six-minute excursion after the detector's warm-up
    store = MetricStore()
    spike = T0 + 460 * MINUTE
    ops = PredictiveOps(store, truth=FixedTruth([TruthWindow("h1", "cpu", spike, spike + 6 * MINUTE)]))
    assert ops.detection_quality() is None  # nothing refreshed yet
    feed(store, "h1", "cpu", values[:SCORE_POINTS], 0)
    ops.refresh()
    for first in range(SCORE_POINTS, 520, 10):  # ten samples per refresh, as a live feed would bring them
        feed(store, "h1", "cpu", values[first : first + 10], first)
        ops.refresh()
    ops.refresh()  # no new samples: nothing re-scored
    flags = ops.flags()
    assert flags and all(spike <= f.time <= spike + 6 * MINUTE for f in flags)
    assert len({f.time for f in flags}) == len(flags)
    quality = ops.detection_quality()
    assert quality is not None
    assert (quality.detected, quality.missed, quality.flags, quality.true_flags) == (1, 0, len(flags), len(flags))
    assert quality.f1 == 1.0 and quality.window_end == T0 + 519 * MINUTE


def test_the_first_scoring_flags_the_stored_past_like_a_live_feed() -> None:
    rng = np.random.default_rng(5)
    values = 50 + rng.normal(0, 1, 520)
    values[460:466] += 40
    spike = T0 + 460 * MINUTE
    live_store, backlog_store = MetricStore(), MetricStore()
    live = PredictiveOps(live_store, truth=FixedTruth([TruthWindow("h1", "cpu", spike, spike + 6 * MINUTE)]))
    backlog = PredictiveOps(backlog_store, truth=FixedTruth([TruthWindow("h1", "cpu", spike, spike + 6 * MINUTE)]))
    feed(live_store, "h1", "cpu", values[:SCORE_POINTS], 0)
    live.refresh()
    for first in range(SCORE_POINTS, 520, 10):
        feed(live_store, "h1", "cpu", values[first : first + 10], first)
        live.refresh()
    feed(backlog_store, "h1", "cpu", values, 0)  # the whole past arrives before the first refresh
    backlog.refresh()
    assert backlog.flags() and [f.time for f in backlog.flags()] == [f.time for f in live.flags()]
    quality = backlog.detection_quality()
    assert quality is not None and quality.detected == 1 and quality.missed == 0


def test_without_truth_there_is_no_detection_figure() -> None:
    store = MetricStore()
    ops = PredictiveOps(store)
    feed(store, "h1", "cpu", [50.0 + (i % 3) for i in range(120)], 0)
    ops.refresh()
    assert ops.detection_quality() is None


def test_a_memory_ramp_prediction_comes_due_and_is_settled() -> None:
    store = MetricStore()
    ops = PredictiveOps(store, horizon=60)
    ramp = 40 + 0.25 * np.arange(400, dtype=np.float64)  # +15 points an hour: 82.5 at minute 170, 90 at minute 200
    feed(store, "h1", "memory", ramp[:171], 0)
    ops.refresh()
    pending, settled = ops.ledger.predictions()
    assert [p.metric for p in pending] == ["memory"] and not settled
    prediction = pending[0]
    assert prediction.created_at == T0 + 170 * MINUTE and prediction.deadline > prediction.eta
    assert abs(prediction.eta - (T0 + 200 * MINUTE)) <= 10 * MINUTE
    assert ops.risk_calibration() is None  # recorded, not yet due
    feed(store, "h1", "memory", ramp[171:260], 171)
    ops.refresh()
    calibration = ops.risk_calibration()
    assert calibration is not None and (calibration.predictions, calibration.hits) == (1, 1)
    assert calibration.brier == (1 - prediction.probability) ** 2


def test_top_anomalies_and_latest_scores() -> None:
    rng = np.random.default_rng(7)
    quiet = 50 + rng.normal(0, 1, SCORE_POINTS + 60)
    spiky = quiet.copy()
    spike = SCORE_POINTS + 40
    spiky[spike] += 40
    store = MetricStore()
    ops = PredictiveOps(store)
    assert ops.top_anomalies() == [] and ops.anomaly_scores() == {}
    feed(store, "h1", "cpu", spiky[:SCORE_POINTS], 0)
    feed(store, "h2", "cpu", quiet[:SCORE_POINTS], 0)
    ops.refresh()
    for first in range(SCORE_POINTS, SCORE_POINTS + 60, 10):
        feed(store, "h1", "cpu", spiky[first : first + 10], first)
        feed(store, "h2", "cpu", quiet[first : first + 10], first)
        ops.refresh()
    top = ops.top_anomalies()
    assert top and top[0].host == "h1" and top[0].time == T0 + spike * MINUTE
    assert top[0].value == spiky[spike] and all(f.host == "h1" for f in top)
    latest = ops.anomaly_scores()
    assert set(latest) == {("h1", "cpu"), ("h2", "cpu")} and 0 <= latest[("h2", "cpu")] < 0.5
    assert ops.top_anomalies(window=timedelta(minutes=10)) == []  # the spike is 19 min old


def test_a_young_series_is_forecast_next_to_mature_ones() -> None:
    store = MetricStore()
    ops = PredictiveOps(store)
    feed(store, "old", "cpu", [50.0 + (i % 5) for i in range(FIT_POINTS)], 0)
    feed(store, "new", "cpu", [20.0 + 0.1 * i for i in range(MIN_POINTS)], FIT_POINTS - MIN_POINTS)
    feed(store, "newest", "cpu", [1.0] * (MIN_POINTS - 1), 0)
    ops.refresh()
    assert {(f.host, f.metric) for f in ops.forecasts()} == {("old", "cpu"), ("new", "cpu")}
    young = ops.forecast_of("new", "cpu")
    assert young is not None and young.trend > 0 and len(young.point) == ops.horizon


def test_seasonal_forecasts_are_opt_in_and_use_the_daily_period() -> None:
    """At 15-minute sampling the fitted window spans 2.5 days (96 samples a day); the load steps up by 20
    from 08:00 to 18:00, which no trend model sees coming."""
    rng = np.random.default_rng(41)
    step = timedelta(minutes=15)
    hour = (np.arange(FIT_POINTS) % 96) / 4
    values = 50 + 20 * ((hour >= 8) & (hour < 18)) + rng.normal(0, 0.5, FIT_POINTS)
    samples = [
        MetricSampleIn(labels={"host": "h1", "metric": "cpu"}, timestamp=T0 + i * step, value=float(v))
        for i, v in enumerate(values)
    ]
    models = []
    for seasonal in (False, True):
        store = MetricStore()
        store.ingest_samples(samples)
        ops = PredictiveOps(store, seasonal=seasonal)
        ops.refresh()
        found = ops.forecast_of("h1", "cpu")
        assert found is not None
        models.append(found.model)
    assert not models[0].endswith("seasonal") and models[1].endswith("seasonal"), models


def test_breaches_and_risks_are_apart_and_each_host_gets_its_own_eta() -> None:
    """Three disks: one over 90 % (a breach, since when it crossed), two filling at different rates (risks
    whose ETAs are where each one's own fill crosses), and one that was cleaned up (its old fill is forgotten)."""
    rng = np.random.default_rng(11)
    n = 300
    store = MetricStore()
    feed(store, "full", "disk", np.minimum(80 + 0.1 * np.arange(n), 99), 0)  # 90 % reached at minute 100
    feed(store, "fast", "disk", 50 + 0.1 * np.arange(n) + rng.normal(0, 0.05, n), 0)  # 79.9 now
    feed(store, "slow", "disk", 50 + 0.05 * np.arange(n) + rng.normal(0, 0.05, n), 0)  # 64.95 now
    cleaned = np.concatenate([50 + 0.12 * np.arange(250), 40 + 0.01 * np.arange(50)])  # 80 % before the clean-up
    feed(store, "cleaned", "disk", cleaned + rng.normal(0, 0.02, n), 0)
    ops = PredictiveOps(store, exhaustion_horizon=timedelta(hours=12), source_of=lambda host, metric: "test")
    ops.refresh()
    breaches = ops.breaches()
    assert [(b.host, b.since, b.since_known, b.source) for b in breaches] == [("full", T0 + 100 * MINUTE, True, "test")]
    risks = {r.host: r for r in ops.risks()}
    assert set(risks) == {"fast", "slow"}  # cleaned: 40.5 % rising 0.6 an hour is 82 h from 90 %
    now = T0 + (n - 1) * MINUTE
    for host, rate, level in (("fast", 0.1, 79.9), ("slow", 0.05, 64.95)):
        truth = now + timedelta(minutes=(90 - level) / rate)
        risk = risks[host]
        assert risk.eta_earliest is not None and risk.eta_latest is not None
        assert risk.eta_earliest <= truth <= risk.eta_latest and abs(risk.eta - truth) < 10 * MINUTE
        assert risk.source == "test" and risk.last_value is not None and risk.last_value < 90
    assert risks["fast"].eta < risks["slow"].eta
    assert {p.host for p in ops.ledger.predictions()[0]} == {"fast", "slow"}
    feed(store, "full", "disk", [99.0] * 10, n)  # still over: the breach keeps its start
    ops.refresh()
    assert [b.since for b in ops.breaches()] == [T0 + 100 * MINUTE]


def test_one_series_rescored_whole_with_its_forecast() -> None:
    rng = np.random.default_rng(5)
    values = 50 + rng.normal(0, 1, 300)
    values[280:284] += 40
    store = MetricStore()
    feed(store, "h1", "cpu", values, 0)
    ops = PredictiveOps(store)
    assert ops.series("h1", "disk") is None and ops.series("nobody", "cpu") is None
    before = ops.series("h1", "cpu")
    assert before is not None and before.forecast is None and len(before.times) == 300
    assert before.anomalies and all(280 <= (f.time - T0) / MINUTE < 290 for f in before.anomalies)
    assert all(f.score >= 0.5 and f.value == values[round((f.time - T0) / MINUTE)] for f in before.anomalies)
    ops.refresh()
    after = ops.series("h1", "cpu")
    assert after is not None and after.forecast is ops.forecast_of("h1", "cpu")
    assert after.anomalies == before.anomalies  # the whole stored series is scored, not only the new samples


def test_the_fleet_chart_averages_the_series_of_one_metric() -> None:
    store = MetricStore()
    feed(store, "a", "cpu", [10.0] * MIN_POINTS, 0)
    feed(store, "b", "cpu", [30.0] * MIN_POINTS, 0)
    ops = PredictiveOps(store)
    empty = ops.chart(ops.forecasts())
    assert empty.hours == [] and empty.cpu == {"actual": [], "predicted": []}
    ops.refresh()
    chart = ops.chart(ops.forecasts(), points=3)
    assert chart.cpu["actual"] == [20.0, 20.0, 20.0, None, None, None]
    assert chart.cpu["predicted"][:3] == [None, None, None] and chart.cpu["predicted"][3] == pytest.approx(20.0)
    assert chart.memory == {"actual": [], "predicted": []}
    last = T0 + (MIN_POINTS - 1) * MINUTE
    assert chart.hours == [(last + (i - 2) * MINUTE).strftime("%H:%M") for i in range(6)]

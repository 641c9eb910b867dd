"""PredictiveOps: forecasts, anomaly scores and exhaustion risks over the metric store."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from agents.predictive_ops.anomaly import DetectorParams, scores
from agents.predictive_ops.detection_quality import WINDOW, DetectionQuality, Flag, SeriesKey, TruthSource, evaluate
from agents.predictive_ops.ets.forecaster import daily_period, fit, forecast
from agents.predictive_ops.fleet_chart import CHART_POINTS, FleetChart, chart_hours, fleet_chart
from agents.predictive_ops.metric_store import MetricStore
from agents.predictive_ops.risk_calibration import Calibration, RiskLedger
from agents.predictive_ops.risks import THRESHOLDS, breach_for, risk_for
from data.models import Breach, LogType, Risk, RiskState
from data.timeutil import utc_now

log = logging.getLogger(__name__)
Array = NDArray[np.float64]

FIT_POINTS = 240  # samples each refresh fits on (4 h at one per minute)
MIN_POINTS = 60
# Samples each series is scored on: the detector's reference window and warm-up, plus room for the
# samples that arrived since the series was last scored.
WARM_UP = DetectorParams().window + DetectorParams().min_history  # samples behind the first one flagged
SCORE_POINTS = WARM_UP + 64
ANOMALY_FLAG = 0.5  # a sample whose causal anomaly score reaches this is flagged
MAX_FLAGS = 100_000  # flags kept for the detection-quality window
TOP_ANOMALIES = 10  # flags `top_anomalies` returns at most


@dataclass(frozen=True)
class SeriesDetail:
    """One series: its stored samples in time order, its forecast (None before one), and its flagged samples."""

    times: list[datetime]
    values: NDArray[np.float64]
    forecast: SeriesForecast | None
    anomalies: list[Flag]


@dataclass(frozen=True)
class SeriesForecast:
    host: str
    metric: str
    model: str
    step: timedelta
    last_time: datetime
    last_value: float
    trend: float
    point: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    source: str | None = None


class PredictiveOps:
    """Forecasts every series of the store on `refresh`, keeps the open exhaustion risks, flags anomalies
    on the newest samples as they arrive, and records risk predictions in ``ledger`` to settle when due.

    ``truth`` (the simulator's, when there is one) is read only to score the flags; nothing here
    decides on it. With ``seasonal``, the forecasts may add a daily seasonal component: its models join
    the choice for series whose fitted window spans two days (`ets_forecaster.fit` with the daily period).
    """

    def __init__(
        self,
        store: MetricStore,
        *,
        horizon: int = 60,
        save_risk: Callable[[Risk], None] | None = None,
        truth: TruthSource | None = None,
        ledger: RiskLedger | None = None,
        score_budget_s: float = 2.0,
        seasonal: bool = False,
        source_of: Callable[[str, str], str | None] | None = None,
        exhaustion_horizon: timedelta = timedelta(hours=24),
    ) -> None:
        self.store = store
        self._source_of = source_of
        self.exhaustion_horizon = exhaustion_horizon
        # Seasonal fits cost 10-25 times a non-seasonal one per series (bench/forecast_speed.py), so off by default.
        self.seasonal = seasonal
        # Anomaly scoring shares the process with ingest and the API: a refresh spends at most this long on it.
        self.score_budget_s = score_budget_s
        self.horizon = horizon
        self._save_risk = save_risk
        self._truth = truth
        self.ledger = ledger if ledger is not None else RiskLedger()
        self._flags: deque[Flag] = deque(maxlen=MAX_FLAGS)
        self._scored_until: dict[SeriesKey, float] = {}  # written and read by `refresh` only
        self._scored_since: dict[SeriesKey, datetime] = {}
        self._latest_score: dict[SeriesKey, float] = {}
        self._event_time: datetime | None = None
        self._lock = threading.Lock()
        self._forecasts: dict[tuple[str, str], SeriesForecast] = {}
        self._risks: dict[str, Risk] = {}
        self._breaches: dict[str, Breach] = {}
        self._generated_at: datetime | None = None
        self._refreshes = 0
        self._last_refresh: datetime | None = None

    def refresh(self) -> None:
        """Fit and forecast every series with enough history; open or resolve risks accordingly; flag the new
        samples; record the opened risks as predictions and settle those that came due."""
        groups = self._fit_groups()
        if not groups:
            return
        self._flag_new_samples()
        forecasts: dict[tuple[str, str], SeriesForecast] = {}
        risks: dict[str, Risk] = {}
        breaches: dict[str, Breach] = {}
        latest = -np.inf
        for names, values, times in groups:
            step = timedelta(seconds=float(np.median(np.diff(times, axis=1))))
            state = fit(values, period=daily_period(step.total_seconds()) if self.seasonal else None)
            point, lower, upper = forecast(state, self.horizon)
            latest = max(latest, float(times[:, -1].max()))
            for i, (host, metric) in enumerate(names):
                source = self._source_of(host, metric) if self._source_of is not None else None
                last = datetime.fromtimestamp(times[i, -1], UTC)
                forecasts[(host, metric)] = SeriesForecast(
                    host, metric, state.model[i].value, step, last, float(values[i, -1]), float(state.trend[i]),
                    point[i], lower[i], upper[i], source,
                )  # fmt: skip
                if metric not in THRESHOLDS:
                    continue
                found = self._assess(host, metric, times[i], values[i], point[i], lower[i], upper[i], step, source)
                if isinstance(found, Breach):
                    breaches[found.id] = found
                elif found is not None:
                    risks[found.id] = found
        with self._lock:
            for key, breach in breaches.items():
                before = self._breaches.get(key)
                if before is not None and before.since < breach.since:  # older than the samples kept now
                    breaches[key] = breach.model_copy(update={"since": before.since, "since_known": before.since_known})
            resolved = [r for key, r in self._risks.items() if key not in risks]
            opened = [r for key, r in risks.items() if key not in self._risks]
            self._forecasts, self._risks, self._breaches = forecasts, risks, breaches
            self._generated_at = utc_now()
            self._refreshes += 1
            self._last_refresh = self._generated_at
            self._event_time = datetime.fromtimestamp(latest, UTC)
        recorded = 0
        for r in opened:
            series = forecasts[(r.host, r.metric)]
            above = THRESHOLDS[r.metric].above
            recorded += self.ledger.record(r, last_value=series.last_value, step=series.step, above=above)
        if self.ledger.settle(self.store.history) or recorded:
            self.ledger.persist()
        if self._save_risk is not None:
            for risk in opened + list(risks.values()):
                self._save_risk(risk)
            for risk in resolved:
                self._save_risk(risk.model_copy(update={"state": RiskState.RESOLVED, "resolved_at": utc_now()}))
        for risk in opened[:10]:
            log.info("Risk: %s %s reaches %.0f by %s (p=%.2f)", risk.host, risk.metric, risk.threshold,
                     risk.eta.isoformat(), risk.probability,
                     extra={"log_type": LogType.PREDICTIVEOPS, "agent": "PredictiveOps"})  # fmt: skip

    def _assess(
        self,
        host: str,
        metric: str,
        times: Array,
        values: Array,
        point: Array,
        lower: Array,
        upper: Array,
        step: timedelta,
        source: str | None,
    ) -> Breach | Risk | None:
        """Return the series' breach (over its threshold now), its risk (forecast to cross), or None.

        A breach's start and an exhaustion fill look at the whole stored history, not just the fitted window."""
        rule = THRESHOLDS[metric]
        over = values[-1] >= rule.value if rule.above else values[-1] <= rule.value
        if over or rule.exhaustion:
            stored = self.store.arrays(host, metric)
            if stored is not None and len(stored[0]):
                times, values = stored
        if over:
            return breach_for(host, metric, times, values, source=source)
        return risk_for(
            host, metric, times=times, values=values, point=point, lower=lower, upper=upper, step=step,
            exhaustion_horizon=self.exhaustion_horizon, source=source,
        )  # fmt: skip

    def _fit_groups(self) -> list[tuple[list[tuple[str, str]], NDArray[np.float64], NDArray[np.float64]]]:
        """Return the series to forecast as (names, values, times) blocks of equal length: those with
        ``FIT_POINTS`` samples on their last ``FIT_POINTS``, the younger ones with ``MIN_POINTS`` on theirs."""
        names, values, times = self.store.matrix(FIT_POINTS)
        groups = [(names, values, times)] if names else []
        mature = set(names)
        names, values, times = self.store.matrix(MIN_POINTS)
        young = [i for i, key in enumerate(names) if key not in mature]
        if young:
            groups.append(([names[i] for i in young], values[young], times[young]))
        return groups

    def _flag_new_samples(self) -> None:
        """Score the series with unscored samples, stalest first, within ``score_budget_s``; keep a flag for
        every newly scored sample that reaches ``ANOMALY_FLAG``.

        A flag is what the detector said on the history up to its sample (the scores are causal), so
        scoring a series one refresh later gives the same flags; a fleet too large for one refresh is
        covered over several. A series is scored from its first refresh with ``SCORE_POINTS`` samples on; that
        first scoring flags every stored sample after the detector's warm-up.
        """
        names, values, times = self.store.matrix(SCORE_POINTS)
        order = sorted(range(len(names)), key=lambda i: self._scored_until.get(names[i], -np.inf))
        deadline = time.monotonic() + self.score_budget_s
        new: list[Flag] = []
        started: dict[SeriesKey, datetime] = {}
        latest: dict[SeriesKey, float] = {}
        for i in order:
            key, newest = names[i], float(times[i, -1])
            previous = self._scored_until.get(key)
            if previous is not None and newest <= previous:
                continue
            if time.monotonic() > deadline:
                break
            series_times, series_values = times[i], values[i]
            if previous is None:
                # The first scoring covers the series' whole stored past (a simulated history or a real
                # source's backlog): every sample with the detector's warm-up behind it gets its causal flag.
                stored = self.store.arrays(*key)
                if stored is not None:
                    series_times, series_values = stored
                previous = float(series_times[WARM_UP - 1])
                started[key] = datetime.fromtimestamp(float(series_times[WARM_UP]), UTC)
            self._scored_until[key] = newest
            fresh = series_times > previous
            score = scores(series_values)
            latest[key] = float(score[-1])
            for j in np.flatnonzero(fresh & (score >= ANOMALY_FLAG)):
                at = datetime.fromtimestamp(float(series_times[j]), UTC)
                new.append(Flag(key[0], key[1], at, float(score[j]), float(series_values[j])))
        with self._lock:  # readers copy these under the lock
            self._scored_since.update(started)
            self._latest_score.update(latest)
            self._flags.extend(new)

    def flags(self) -> list[Flag]:
        """Return the anomaly flags raised so far (the newest ``MAX_FLAGS``), in the order they were raised."""
        with self._lock:
            return list(self._flags)

    def anomaly_scores(self) -> dict[SeriesKey, float]:
        """Return, per (host, metric) scored so far, the causal anomaly score of its newest scored sample.

        A series that has not been scored yet is absent (its score is unknown, not 0).
        """
        with self._lock:
            return dict(self._latest_score)

    def top_anomalies(self, *, limit: int = TOP_ANOMALIES, window: timedelta = WINDOW) -> list[Flag]:
        """Return at most ``limit`` flags raised on samples within ``window`` of event time before the newest
        sample, highest score first (newest first among equal scores); empty before the first refresh."""
        with self._lock:
            now, flags = self._event_time, list(self._flags)
        if now is None:
            return []
        start = now - window
        recent = [f for f in flags if start <= f.time <= now]
        recent.sort(key=lambda f: (f.score, f.time), reverse=True)
        return recent[:limit]

    def detection_quality(self) -> DetectionQuality | None:
        """Return precision/recall of the flags against the truth over the last 24 h of event time, or None
        without a truth source or before the first refresh."""
        with self._lock:
            now, since, flags = self._event_time, dict(self._scored_since), list(self._flags)
        if self._truth is None or now is None:
            return None
        truth = self._truth
        return evaluate(truth.windows(now - WINDOW), flags, now=now, scored_since=since, covers=truth.covers)

    def risk_calibration(self) -> Calibration | None:
        """Return the Brier score and hit rate of risk predictions that came due, or None until any did."""
        with self._lock:
            now = self._event_time
        return None if now is None else self.ledger.calibration(now)

    def activity(self) -> tuple[int, datetime | None]:
        with self._lock:
            return self._refreshes, self._last_refresh

    def open_risk_count(self) -> int | None:
        with self._lock:
            return None if self._generated_at is None else len(self._risks)

    def risks(self) -> list[Risk]:
        """Return the open risks (series under their threshold forecast to cross it), soonest ETA first."""
        with self._lock:
            return sorted(self._risks.values(), key=lambda r: (r.eta, r.id))

    def breaches(self) -> list[Breach]:
        """Return the series over their threshold at their newest sample, longest-running first."""
        with self._lock:
            return sorted(self._breaches.values(), key=lambda b: (b.since, b.id))

    def risk_of(self, host: str, metric: str) -> Risk | None:
        """Return the open risk of (host, metric), or None."""
        with self._lock:
            return self._risks.get(f"RISK-{host}-{metric}")

    def breach_of(self, host: str, metric: str) -> Breach | None:
        """Return the breach of (host, metric) as of the last refresh, or None."""
        with self._lock:
            return self._breaches.get(f"BREACH-{host}-{metric}")

    def source_of(self, host: str, metric: str) -> str | None:
        """Return the source that wrote (host, metric) (simulator, api, prometheus, ...), or None if unknown."""
        return self._source_of(host, metric) if self._source_of is not None else None

    def forecasts(self) -> list[SeriesForecast]:
        with self._lock:
            return list(self._forecasts.values())

    def forecast_of(self, host: str, metric: str) -> SeriesForecast | None:
        with self._lock:
            return self._forecasts.get((host, metric))

    def series(self, host: str, metric: str) -> SeriesDetail | None:
        """Return the stored samples of (host, metric), its forecast, and every sample whose causal anomaly
        score, recomputed over the whole stored series, reaches ``ANOMALY_FLAG``; None for an unknown series."""
        stored = self.store.history(host, metric)
        if stored is None:
            return None
        times, values = stored
        score = scores(values)
        flagged = [
            Flag(host, metric, times[i], float(score[i]), float(values[i]))
            for i in np.flatnonzero(score >= ANOMALY_FLAG)
        ]
        return SeriesDetail(times, values, self.forecast_of(host, metric), flagged)

    def chart(self, forecasts: Sequence[SeriesForecast], points: int = CHART_POINTS) -> FleetChart:
        """Return the fleet chart (cpu and memory) over ``forecasts``, a snapshot taken with `forecasts`."""
        history = self.store.history
        return FleetChart(
            hours=chart_hours(forecasts, points),
            cpu=fleet_chart(forecasts, history, "cpu", points),
            memory=fleet_chart(forecasts, history, "memory", points),
        )

    @property
    def generated_at(self) -> datetime | None:
        return self._generated_at

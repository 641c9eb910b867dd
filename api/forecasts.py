"""Forecasts and risks (the seed's `/api/forecasts`), one series' forecast, and metric sample ingestion."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from agents.predictive_ops import ANOMALY_FLAG, Calibration, DetectionQuality, PredictiveOps, SeriesForecast, scores
from api.deps import Authorized
from data.errors import NotFound
from data.models import MetricSampleIn
from data.timeutil import UtcDatetime, iso_z

router = APIRouter(prefix="/api", tags=["forecasts"])

CHART_POINTS = 12


def get_predictive_ops(request: Request) -> PredictiveOps:
    engine: PredictiveOps = request.app.state.predictive_ops
    return engine


PredictiveDep = Annotated[PredictiveOps, Depends(get_predictive_ops)]


class RiskOut(BaseModel):
    id: str
    title: str
    severity: str
    host: str
    metric: str
    threshold: float
    eta: UtcDatetime
    expected_time: UtcDatetime
    expected_time_text: str
    probability: float
    confidence: float = Field(description="the probability as a percentage (seed field)")
    recommended_action: str


class DetectionQualityOut(BaseModel):
    """Anomaly flags scored against the simulator's fault truth (see `agents.predictive_ops.detection_quality`)."""

    window_start: UtcDatetime
    window_end: UtcDatetime = Field(description="the newest sample's event time")
    tolerance_seconds: float = Field(description="a flag up to this long after a fault ended still detects it")
    events: int = Field(description="fault effects on a (host, metric) decided in the window: detected + missed")
    detected: int
    missed: int
    pending: int = Field(description="fault effects still active and not yet detected (not counted)")
    flags: int = Field(description="anomaly flags raised on simulated series in the window")
    true_flags: int = Field(description="flags inside a fault effect's window on their own series")
    precision: float | None = Field(description="true_flags / flags; null without flags")
    recall: float | None = Field(description="detected / events; null until an event is decided")
    f1: float | None = Field(description="harmonic mean of precision and recall; null while recall is")


class RiskCalibrationOut(BaseModel):
    """Risk predictions that came due, against what the series did (see `agents.predictive_ops.risk_calibration`)."""

    window_start: UtcDatetime
    window_end: UtcDatetime = Field(description="the newest sample's event time")
    predictions: int = Field(description="predictions whose deadline (ETA + tolerance) passed in the window")
    hits: int = Field(description="of those, how many series did reach the threshold by the deadline")
    brier_score: float = Field(description="mean (probability - outcome)^2; 0 is perfect, 0.25 is a coin toss")
    hit_rate: float = Field(description="hits / predictions")
    pending: int = Field(description="predictions not yet due")


class ForecastsOut(BaseModel):
    metrics: dict[str, Any] = Field(
        description="fleet-mean cpu (actual, predicted) and memory over the last and next points"
    )
    anomaly_detection_accuracy: float | None = Field(
        description="100 x F1 of anomaly flags against the simulator's fault truth over the last 24 h of event "
        "time (breakdown in anomaly_detection); null without truth or until a fault effect is decided"
    )
    risk_prediction_confidence: float | None = Field(
        description="100 x (1 - Brier score) of risk predictions that came due in the last 24 h of event time "
        "(breakdown in risk_calibration); null until any came due"
    )
    anomaly_detection: DetectionQualityOut | None = Field(
        default=None, description="precision, recall and counts behind anomaly_detection_accuracy"
    )
    risk_calibration: RiskCalibrationOut | None = Field(
        default=None, description="Brier score, hit rate and counts behind risk_prediction_confidence"
    )
    patch_success_rate: float | None = Field(
        description="% of finished patch roll-outs that completed (the rest rolled back or failed); null before one"
    )
    upcoming_risks: list[RiskOut]
    ets_forecasts: dict[str, Any] = Field(
        description="per series: anomaly_score = causal score of its newest scored sample (null until scored); "
        "top_anomalies = up to 10 flags of the last 24 h of event time, highest score first, then newest"
    )


class PointOut(BaseModel):
    timestamp: UtcDatetime
    value: float
    lower: float | None = None
    upper: float | None = None


class AnomalyOut(BaseModel):
    timestamp: UtcDatetime
    value: float
    score: float


class SeriesOut(BaseModel):
    host: str
    metric: str
    history: list[PointOut]
    forecast: dict[str, Any]
    anomalies: list[AnomalyOut] = Field(description="samples whose causal anomaly score is at least 0.5")


class SamplesIn(BaseModel):
    samples: list[MetricSampleIn] = Field(min_length=1, max_length=50_000)


class AcceptedOut(BaseModel):
    accepted: int


def _fleet_chart(forecasts: list[SeriesForecast], engine: PredictiveOps, metric: str) -> dict[str, Any]:
    rows = [f for f in forecasts if f.metric == metric]
    if not rows:
        return {"actual": [], "predicted": []}
    histories = [engine.store.history(f.host, f.metric) for f in rows]
    actual = np.mean([h[1][-CHART_POINTS:] for h in histories if h and len(h[1]) >= CHART_POINTS], axis=0)
    predicted = np.mean([f.point[:CHART_POINTS] for f in rows], axis=0)
    return {
        "actual": [round(float(v), 2) for v in actual] + [None] * CHART_POINTS,
        "predicted": [None] * CHART_POINTS + [round(float(v), 2) for v in predicted],
    }


def _detection_out(quality: DetectionQuality | None) -> DetectionQualityOut | None:
    if quality is None:
        return None
    fields = {k: v for k, v in quality.__dict__.items() if k != "tolerance"}
    return DetectionQualityOut(tolerance_seconds=quality.tolerance.total_seconds(), **fields)


def _calibration_out(calibration: Calibration | None) -> RiskCalibrationOut | None:
    if calibration is None:
        return None
    c = calibration
    return RiskCalibrationOut(
        window_start=c.window_start, window_end=c.window_end, predictions=c.predictions, hits=c.hits,
        brier_score=round(c.brier, 4), hit_rate=round(c.hit_rate, 4), pending=c.pending,
    )  # fmt: skip


@router.get("/forecasts", response_model=ForecastsOut)
def get_forecasts(engine: PredictiveDep, request: Request) -> ForecastsOut:
    forecasts = engine.forecasts()
    hours: list[str] = []
    if forecasts:
        first = forecasts[0]
        start = first.last_time - first.step * (CHART_POINTS - 1)
        hours = [(start + first.step * i).strftime("%H:%M") for i in range(2 * CHART_POINTS)]
    cpu = _fleet_chart(forecasts, engine, "cpu")
    memory = _fleet_chart(forecasts, engine, "memory")
    risks = [
        RiskOut(
            id=r.id, title=f"{r.metric} on {r.host} reaches {r.threshold:g}",
            severity="critical" if r.probability >= 0.9 else "high" if r.probability >= 0.7 else "medium",
            host=r.host, metric=r.metric, threshold=r.threshold, eta=r.eta, expected_time=r.eta,
            expected_time_text=r.eta.strftime("%b %d, %I:%M %p"), probability=r.probability,
            confidence=round(100 * r.probability, 1), recommended_action=r.recommended_action,
        )
        for r in engine.risks()
    ]  # fmt: skip
    latest = engine.anomaly_scores()
    series = [
        {"host": f.host, "metric": f.metric, "model": f.model, "last_value": round(f.last_value, 3),
         "trend": round(f.trend, 5), "forecast": [round(float(v), 3) for v in f.point[:CHART_POINTS]],
         "anomaly_score": None if (s := latest.get((f.host, f.metric))) is None else round(s, 4)}
        for f in forecasts[:200]
    ]  # fmt: skip
    trends = {(f.host, f.metric): round(f.trend, 5) for f in forecasts}
    # the detector reports a bounded score, not the seed's z-score and residual: those stay null
    top = [
        {"host": a.host, "metric": a.metric, "time": iso_z(a.time), "score": round(a.score, 4),
         "value": None if a.value is None else round(a.value, 3), "z_score": None, "residual": None,
         "trend": trends.get((a.host, a.metric))}
        for a in engine.top_anomalies()
    ]  # fmt: skip
    quality = engine.detection_quality()
    calibration = engine.risk_calibration()
    return ForecastsOut(
        metrics={"hours": hours, "cpu": cpu, "memory": {"actual": memory["actual"], "threshold": 90.0}},
        anomaly_detection_accuracy=None if quality is None or quality.f1 is None else round(100 * quality.f1, 2),
        risk_prediction_confidence=None if calibration is None else round(100 * (1 - calibration.brier), 2),
        anomaly_detection=_detection_out(quality),
        risk_calibration=_calibration_out(calibration),
        patch_success_rate=_patch_success_rate(request),
        upcoming_risks=risks,
        ets_forecasts={
            "generated_at": engine.generated_at,
            "horizon": engine.horizon,
            "series": series,
            "top_anomalies": top,
        },
    )


def _patch_success_rate(request: Request) -> float | None:
    patch_ops = getattr(request.app.state, "patch_ops", None)
    return None if patch_ops is None else patch_ops.success_rate()


@router.get("/forecasts/{host}/{metric}", response_model=SeriesOut)
def get_series(host: str, metric: str, engine: PredictiveDep) -> SeriesOut:
    stored = engine.store.history(host, metric)
    if stored is None:
        raise NotFound(f"no metric {metric} for host {host}")
    times, values = stored
    found = engine.forecast_of(host, metric)
    points: list[PointOut] = []
    model = None
    step_seconds = None
    if found is not None:
        model, step_seconds = found.model, found.step.total_seconds()
        points = [
            PointOut(timestamp=found.last_time + found.step * (i + 1), value=float(found.point[i]),
                     lower=float(found.lower[i]), upper=float(found.upper[i]))
            for i in range(len(found.point))
        ]  # fmt: skip
    history = [PointOut(timestamp=t, value=float(v)) for t, v in zip(times, values, strict=True)]
    anomaly = scores(values)
    flagged = [
        AnomalyOut(timestamp=times[i], value=float(values[i]), score=round(float(anomaly[i]), 4))
        for i in np.flatnonzero(anomaly >= ANOMALY_FLAG)
    ]
    return SeriesOut(
        host=host,
        metric=metric,
        history=history,
        anomalies=flagged,
        forecast={"model": model, "step_seconds": step_seconds, "points": [p.model_dump(mode="json") for p in points]},
    )


@router.post(
    "/metrics/samples", response_model=AcceptedOut, status_code=status.HTTP_202_ACCEPTED, dependencies=[Authorized]
)
def post_samples(body: SamplesIn, engine: PredictiveDep) -> AcceptedOut:
    engine.store.ingest_samples(body.samples)
    return AcceptedOut(accepted=len(body.samples))

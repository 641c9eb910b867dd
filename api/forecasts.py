"""Forecasts and risks (the seed's `/api/forecasts`) and one series' forecast with its anomalies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from agents.predictive_ops import CHART_POINTS, Calibration, DetectionQuality, risk_severity, threshold_of
from api.deps import PatchOpsDep, PredictiveDep
from data.errors import NotFound
from data.models import Breach, Risk
from data.timeutil import UtcDatetime, iso_z

router = APIRouter(prefix="/api", tags=["forecasts"])


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
    eta_earliest: UtcDatetime | None = Field(
        default=None, description="where the forecast's 95 % interval first crosses (null: beyond the forecast)"
    )
    eta_latest: UtcDatetime | None = Field(
        default=None, description="where the interval's far bound crosses (null: not within the forecast)"
    )
    probability_by: UtcDatetime | None = Field(default=None, description="probability is of crossing by this time")
    method: str | None = Field(default=None, description="ets, or linear_since_reset for filling resources")
    last_value: float | None = Field(default=None, description="the series' newest value (under the threshold)")
    source: str | None = Field(default=None, description="where the series comes from")


class BreachOut(BaseModel):
    """A series over its threshold now: an observation, not a forecast."""

    id: str
    title: str
    host: str
    metric: str
    threshold: float
    value: float = Field(description="the newest value")
    since: UtcDatetime = Field(description="first sample of the unbroken run over the threshold")
    since_known: bool = Field(description="false when that run starts at the oldest sample kept (it may be older)")
    recommended_action: str
    source: str | None = None


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
    predictions: int = Field(
        description="predictions settled in the window: the series reached the threshold, or the deadline "
        "(the risk's probability_by; ETA + tolerance for risks without one) passed"
    )
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
    upcoming_risks: list[RiskOut] = Field(
        description="series under their threshold whose forecast crosses it, soonest first; each ETA is its own"
    )
    breaches: list[BreachOut] = Field(
        default_factory=list, description="series over their threshold at their newest sample, longest-running first"
    )
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
    source: str | None = Field(default=None, description="where the series comes from")
    threshold: float | None = Field(default=None, description="the threshold its risks and breaches use, if any")
    risk: RiskOut | None = Field(default=None, description="its open risk, if any")
    breach: BreachOut | None = Field(default=None, description="its breach, if it is over its threshold")


def risk_out(r: Risk) -> RiskOut:
    return RiskOut(
        id=r.id, title=f"{r.metric} on {r.host} reaches {r.threshold:g}", severity=risk_severity(r.probability),
        host=r.host, metric=r.metric, threshold=r.threshold, eta=r.eta, expected_time=r.eta,
        expected_time_text=r.eta.strftime("%b %d, %I:%M %p"), probability=r.probability,
        confidence=round(100 * r.probability, 1), recommended_action=r.recommended_action,
        eta_earliest=r.eta_earliest, eta_latest=r.eta_latest, probability_by=r.probability_by, method=r.method,
        last_value=None if r.last_value is None else round(r.last_value, 3), source=r.source,
    )  # fmt: skip


def breach_out(b: Breach) -> BreachOut:
    return BreachOut(
        id=b.id, title=f"{b.metric} on {b.host} is over {b.threshold:g}", host=b.host, metric=b.metric,
        threshold=b.threshold, value=round(b.value, 3), since=b.since, since_known=b.since_known,
        recommended_action=b.recommended_action, source=b.source,
    )  # fmt: skip


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
def get_forecasts(engine: PredictiveDep, patch_ops: PatchOpsDep) -> ForecastsOut:
    forecasts = engine.forecasts()
    chart = engine.chart(forecasts)
    memory = {"actual": chart.memory["actual"], "threshold": 90.0}  # the seed's memory chart: no forecast line
    risks = [risk_out(r) for r in engine.risks()]
    latest = engine.anomaly_scores()
    series = [
        {"host": f.host, "metric": f.metric, "model": f.model, "last_value": round(f.last_value, 3),
         "trend": round(f.trend, 5), "forecast": [round(float(v), 3) for v in f.point[:CHART_POINTS]],
         "anomaly_score": None if (s := latest.get((f.host, f.metric))) is None else round(s, 4),
         "source": f.source}
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
        metrics={"hours": chart.hours, "cpu": chart.cpu, "memory": memory},
        anomaly_detection_accuracy=None if quality is None or quality.f1 is None else round(100 * quality.f1, 2),
        risk_prediction_confidence=None if calibration is None else round(100 * (1 - calibration.brier), 2),
        anomaly_detection=_detection_out(quality),
        risk_calibration=_calibration_out(calibration),
        patch_success_rate=patch_ops.success_rate(),
        upcoming_risks=risks,
        breaches=[breach_out(b) for b in engine.breaches()],
        ets_forecasts={
            "generated_at": engine.generated_at,
            "horizon": engine.horizon,
            "series": series,
            "top_anomalies": top,
        },
    )


@router.get("/forecasts/{host}/{metric}", response_model=SeriesOut)
def get_series(host: str, metric: str, engine: PredictiveDep) -> SeriesOut:
    series = engine.series(host, metric)
    if series is None:
        raise NotFound(f"no metric {metric} for host {host}")
    found = series.forecast
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
    history = [PointOut(timestamp=t, value=float(v)) for t, v in zip(series.times, series.values, strict=True)]
    flagged = [AnomalyOut(timestamp=a.time, value=a.value, score=round(a.score, 4)) for a in series.anomalies]
    risk, breach = engine.risk_of(host, metric), engine.breach_of(host, metric)
    return SeriesOut(
        host=host,
        metric=metric,
        history=history,
        anomalies=flagged,
        source=engine.source_of(host, metric),
        threshold=threshold_of(metric),
        risk=None if risk is None else risk_out(risk),
        breach=None if breach is None else breach_out(breach),
        forecast={"model": model, "step_seconds": step_seconds, "points": [p.model_dump(mode="json") for p in points]},
    )

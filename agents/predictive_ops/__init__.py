"""PredictiveOps: forecasts, anomaly scores, exhaustion risks and their calibration over a metric store.

The ETS forecasting family lives in the `ets` subpackage. Other code imports the names below.
"""

from agents.predictive_ops.anomaly import DetectorParams, scores
from agents.predictive_ops.detection_quality import DetectionQuality
from agents.predictive_ops.engine import ANOMALY_FLAG, PredictiveOps, SeriesDetail, SeriesForecast
from agents.predictive_ops.fleet_chart import CHART_POINTS, FleetChart
from agents.predictive_ops.metric_store import MetricStore, labels_to_series
from agents.predictive_ops.risk_calibration import LEDGER_SETTING, Calibration, RiskLedger
from agents.predictive_ops.risks import risk_severity, threshold_of

__all__ = [
    "ANOMALY_FLAG",
    "CHART_POINTS",
    "LEDGER_SETTING",
    "Calibration",
    "DetectionQuality",
    "DetectorParams",
    "FleetChart",
    "MetricStore",
    "PredictiveOps",
    "RiskLedger",
    "SeriesDetail",
    "SeriesForecast",
    "labels_to_series",
    "risk_severity",
    "scores",
    "threshold_of",
]

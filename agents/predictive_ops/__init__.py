"""PredictiveOps: forecasts, anomaly scores, exhaustion risks and their calibration over a metric store.

The ETS forecasting family lives in the `ets` subpackage. Other code imports the names below.
"""

from agents.predictive_ops.anomaly import DetectorParams, scores
from agents.predictive_ops.detection_quality import DetectionQuality
from agents.predictive_ops.engine import ANOMALY_FLAG, PredictiveOps, SeriesForecast
from agents.predictive_ops.metric_store import MetricStore, labels_to_series
from agents.predictive_ops.risk_calibration import LEDGER_SETTING, Calibration, RiskLedger

__all__ = [
    "ANOMALY_FLAG",
    "LEDGER_SETTING",
    "Calibration",
    "DetectionQuality",
    "DetectorParams",
    "MetricStore",
    "PredictiveOps",
    "RiskLedger",
    "SeriesForecast",
    "labels_to_series",
    "scores",
]

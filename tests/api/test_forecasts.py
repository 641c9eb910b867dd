"""Forecast API: seed shape, one series with interval, sample ingestion with validation."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings


def test_samples_forecast_and_risks(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as client:
        empty = client.get("/api/forecasts").json()
        assert empty["anomaly_detection_accuracy"] is None and empty["upcoming_risks"] == []
        samples = [
            {"labels": {"host": "db-1", "metric": "disk"}, "timestamp": f"2026-05-01T{h:02d}:{m:02d}:00Z",
             "value": 40 + 0.2 * (60 * h + m)}
            for h in range(4) for m in range(60)
        ]  # fmt: skip
        assert client.post("/api/metrics/samples", json={"samples": samples}).json() == {"accepted": 240}
        app.state.predictive_ops.refresh()
        series = client.get("/api/forecasts/db-1/disk").json()
        assert len(series["history"]) == 240 and series["forecast"]["step_seconds"] == 60.0
        first = series["forecast"]["points"][0]
        assert first["lower"] < first["value"] < first["upper"]
        risks = client.get("/api/forecasts").json()["upcoming_risks"]
        assert [r["metric"] for r in risks] == ["disk"] and risks[0]["recommended_action"] == "disk_cleanup"
        assert client.get("/api/metrics").json()["upcomingRisks"] == 1
        assert client.get("/api/forecasts/db-1/nothing").status_code == 404
        bad = client.post(
            "/api/metrics/samples", json={"samples": [{"labels": {"host": "x"}, "timestamp": "nope", "value": 1}]}
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "timestamp"
        missing = client.post(
            "/api/metrics/samples",
            json={"samples": [{"labels": {"metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}]},
        )
        assert missing.status_code == 422 and "host" in missing.json()["detail"]

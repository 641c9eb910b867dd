"""KPI cards and metric sample ingestion, through the app."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings


def test_metrics_keep_the_seed_keys_and_are_null_without_data(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/metrics").json()
        assert list(body) == [
            "alertsReduced", "mttrReduction", "tasksAutomated", "activeIncidents", "patchesPending", "upcomingRisks",
        ]  # fmt: skip
        assert body["activeIncidents"] == 0
        assert body["mttrReduction"] is None
        assert body["tasksAutomated"] == 0  # the Executor runs and has verified nothing yet


def test_samples_are_validated_naming_the_field_and_counted(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        bad = client.post(
            "/api/metrics/samples", json={"samples": [{"labels": {"host": "x"}, "timestamp": "nope", "value": 1}]}
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "timestamp"
        missing = client.post(
            "/api/metrics/samples",
            json={"samples": [{"labels": {"metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}]},
        )
        assert missing.status_code == 422 and "host" in missing.json()["detail"]
        assert client.post("/api/metrics/samples", json={"samples": []}).status_code == 422
        sample = {"labels": {"host": "h", "metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}
        assert client.post("/api/metrics/samples", json={"samples": [sample]}).json() == {"accepted": 1}
        assert client.get("/api/forecasts/h/cpu").json()["history"][0]["value"] == 1.0

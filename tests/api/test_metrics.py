"""KPI cards and metric sample ingestion, through the app."""

from __future__ import annotations

from pathlib import Path

from backend_api import create_app
from tests.conftest import api_client, make_settings


def test_metrics_keep_the_seed_keys_and_are_null_without_data(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/metrics").json()
        assert list(body) == [
            "alertsReduced", "mttrReduction", "tasksAutomated", "activeIncidents", "patchesPending", "upcomingRisks",
        ]  # fmt: skip
        assert body["activeIncidents"] == 0
        assert body["mttrReduction"] is None
        assert body["tasksAutomated"] == 0  # the Executor runs and has verified nothing yet


def test_samples_are_validated_naming_the_field_and_counted(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        bad = client.post(
            "/api/metrics/samples", json={"samples": [{"labels": {"host": "x"}, "timestamp": "nope", "value": 1}]}
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "timestamp"
        missing = client.post(
            "/api/metrics/samples",
            json={"samples": [{"labels": {"metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}]},
        )
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["labels", "host"]
        assert client.post("/api/metrics/samples", json={"samples": []}).status_code == 422
        sample = {"labels": {"host": "h", "metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}
        assert client.post("/api/metrics/samples", json={"samples": [sample]}).json() == {"accepted": 1}
        assert client.get("/api/forecasts/h/cpu").json()["history"][0]["value"] == 1.0


def test_sample_values_are_numbers_and_labels_are_documented(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        for value in (False, "1.5", None):
            sample = {"labels": {"host": "h", "metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": value}
            response = client.post("/api/metrics/samples", json={"samples": [sample]})
            assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "value", value
        schema = client.get("/openapi.json").json()["components"]["schemas"]["MetricSampleIn"]
        assert schema["properties"]["labels"]["allOf"][0]["anyOf"][0]["required"] == ["host"]

"""Forecast API: seed shape, risks, one series with its interval, detection and calibration figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agents.predictive_ops.engine import SCORE_POINTS
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


def _ramp(first: int, last: int) -> list[dict[str, object]]:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    return [
        {"labels": {"host": "app-1", "metric": "memory"}, "timestamp": (start + timedelta(minutes=m)).isoformat(),
         "value": 40 + 0.25 * m}
        for m in range(first, last)
    ]  # fmt: skip


def test_risk_prediction_confidence_from_predictions_that_came_due(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    with TestClient(app) as client:
        client.post("/api/metrics/samples", json={"samples": _ramp(0, 171)})
        app.state.predictive_ops.refresh()
        body = client.get("/api/forecasts").json()
        assert body["risk_prediction_confidence"] is None and body["risk_calibration"] is None
        # a posted series is not the simulator's: no truth covers it, so no detection figure
        assert body["anomaly_detection_accuracy"] is None and body["anomaly_detection"]["events"] == 0
        client.post("/api/metrics/samples", json={"samples": _ramp(171, 260)})
        app.state.predictive_ops.refresh()
        body = client.get("/api/forecasts").json()
        calibration = body["risk_calibration"]
        assert calibration["predictions"] == 1 and calibration["hits"] == 1 and calibration["hit_rate"] == 1.0
        assert body["risk_prediction_confidence"] == pytest.approx(100 * (1 - calibration["brier_score"]), abs=0.01)
        assert calibration["window_end"] == "2026-05-01T04:19:00.000Z"
    with TestClient(create_app(settings)) as client:  # the ledger survives a restart (SQLite settings)
        _, settled = client.app.state.predictive_ops.ledger.predictions()  # type: ignore[attr-defined]
        assert [p.host for p in settled] == ["app-1"]


def test_anomaly_detection_accuracy_against_the_simulator(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as client:
        world, ops = app.state.simulation.world, app.state.predictive_ops
        ops.score_budget_s = float("inf")  # every refresh scores the whole fleet, so the figures are reproducible
        start = datetime(2026, 5, 1, tzinfo=UTC)
        for minute in range(720):
            world.step(start + timedelta(minutes=minute))
            if minute >= SCORE_POINTS and minute % 60 == 0:  # an hour of samples per refresh, scored causally
                ops.refresh()
        ops.refresh()
        body = client.get("/api/forecasts").json()
        quality = body["anomaly_detection"]
        assert quality["window_end"] == "2026-05-01T11:59:00.000Z" and quality["tolerance_seconds"] == 900.0
        assert quality["events"] == quality["detected"] + quality["missed"] > 0
        assert 0 < quality["true_flags"] <= quality["flags"]
        assert quality["precision"] == quality["true_flags"] / quality["flags"]
        assert quality["recall"] == quality["detected"] / quality["events"]
        assert body["anomaly_detection_accuracy"] == round(100 * quality["f1"], 2)


def test_breaches_and_risks_are_listed_apart_with_their_own_etas_and_sources(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    fills = {"full": (85.0, 0.05), "fast": (50.0, 0.1), "slow": (50.0, 0.05)}  # % at t0, % a minute
    samples = [
        {"labels": {"host": host, "metric": "disk"}, "timestamp": (t0 + timedelta(minutes=i)).isoformat(),
         "value": round(start + rate * i, 4)}
        for host, (start, rate) in fills.items() for i in range(240)
    ]  # fmt: skip
    with TestClient(app) as client:
        assert client.post("/api/metrics/samples", json={"samples": samples}).status_code == 202
        app.state.predictive_ops.refresh()
        body = client.get("/api/forecasts").json()
        (breach,) = body["breaches"]
        assert (breach["host"], breach["since"], breach["since_known"]) == ("full", "2026-05-01T01:40:00.000Z", True)
        assert breach["source"] == "api" and breach["value"] == pytest.approx(96.95)
        risks = {r["host"]: r for r in body["upcoming_risks"]}
        assert set(risks) == {"fast", "slow"} and [r["host"] for r in body["upcoming_risks"]] == ["fast", "slow"]
        now = t0 + timedelta(minutes=239)
        for host in ("fast", "slow"):
            start, rate = fills[host]
            truth = t0 + timedelta(minutes=(90 - start) / rate)
            risk = risks[host]
            eta = datetime.fromisoformat(risk["eta"])
            assert abs(eta - truth) < timedelta(minutes=2) and risk["expected_time"] == risk["eta"]
            assert risk["source"] == "api" and risk["method"] == "linear_since_reset"
            assert datetime.fromisoformat(risk["probability_by"]) == now + timedelta(hours=24)
        detail = client.get("/api/forecasts/fast/disk").json()
        assert detail["threshold"] == 90.0 and detail["source"] == "api" and detail["breach"] is None
        assert detail["risk"]["eta"] == risks["fast"]["eta"]
        assert client.get("/api/forecasts/full/disk").json()["breach"]["id"] == breach["id"]

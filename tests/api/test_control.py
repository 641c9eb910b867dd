"""Health, kill switch and auth, through the app with its lifespan."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from tests.conftest import free_port, make_settings


def test_health_and_openapi(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/health").json()
        assert body["status"] == "ok" and body["kill_switch_active"] is False
        assert "/api/kill-switch" in client.get("/openapi.json").json()["paths"]
        assert client.get("/docs").status_code == 200


def test_kill_switch_set_is_idempotent_audited_and_survives_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        first = client.put("/api/kill-switch", json={"active": True, "reason": "patch night", "actor": "alice"})
        assert first.status_code == 200
        assert first.json()["active"] is True and first.json()["changed"] is True
        again = client.put("/api/kill-switch", json={"active": True, "reason": "again", "actor": "bob"})
        assert again.json()["changed"] is False and again.json()["changed_by"] == "alice"
        assert client.get("/api/kill-switch/status").json()["active"] is True
    with TestClient(create_app(settings)) as client:
        status = client.get("/api/kill-switch/status").json()
        assert status["active"] is True and status["reason"] == "patch night" and status["changed_by"] == "alice"
        assert status["changed_at"].endswith("Z")
        kb = client.app.state.kb  # type: ignore[attr-defined]
        audit = kb.list_audit().items
        assert [(a.actor, a.action, a.reason) for a in audit] == [("alice", "kill_switch.activate", "patch night")]


def test_toggle_kept_for_compatibility(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        on = client.post("/api/kill-switch/toggle").json()
        assert on["active"] is True and on["message"].startswith("Kill switch activated")
        off = client.post("/api/kill-switch/toggle").json()
        assert off["active"] is False


def test_invalid_bodies_are_422_naming_the_field(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        response = client.put("/api/kill-switch", json={"active": "maybe", "reason": "x"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "active"]
        missing = client.put("/api/kill-switch", json={"active": True})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
        assert client.post("/api/terminal-output-mode", json={"mode": "loud"}).status_code == 422
        assert client.get("/api/kill-switch/status").json()["active"] is False


def test_token_required_for_mutations(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret")
    body = {"active": True, "reason": "x"}
    with TestClient(create_app(settings)) as client:
        assert client.put("/api/kill-switch", json=body).status_code == 401
        wrong = client.put("/api/kill-switch", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        assert client.post("/api/simulation/start").status_code == 401
        assert client.get("/api/kill-switch/status").json()["active"] is False
        ok = client.put("/api/kill-switch", json=body, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["active"] is True
        assert client.get("/api/health").status_code == 200


def test_unknown_routes_are_404(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/nope").status_code == 404


def test_a_stored_alert_from_year_9999_is_set_aside_reported_and_the_service_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    alert = {"labels": {"alertname": "DbDown", "tenant": "acme"}, "startsAt": "2026-05-01T12:00:00Z"}
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/alerts", json=[alert]).status_code == 202
        assert client.get("/api/health").json()["quarantined"] == 0
    kb = KnowledgeBase(SqliteDocumentStore(settings.KB_PATH))  # stored before event times were bounded
    (stored,) = kb.list_alerts().items
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    kb.save_alerts([stored.model_copy(update={"startsAt": far, "lastSeen": far})])
    kb.close()
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").json()["quarantined"] == 1
        later = {**alert, "labels": {"alertname": "ApiErrors", "tenant": "acme"}}
        assert client.post("/api/alerts", json=[later]).status_code == 202


def test_a_prometheus_that_is_down_is_reported_in_health_and_the_engine_goes_on(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    settings = make_settings(
        tmp_path, PROMETHEUS_URL=f"http://user:secret@127.0.0.1:{port}",
        PROMETHEUS_QUERIES=[{"query": "up", "metric": "cpu"}], PROMETHEUS_STEP_S=0.2,
        PROMETHEUS_MAX_BACKOFF_S=0.4, FORECAST_INTERVAL_S=0.2,
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 20
        while (source := client.get("/api/health").json()["prometheus"])["consecutive_failures"] < 2:
            assert time.monotonic() < deadline, source
            time.sleep(0.1)
        assert source["up"] is False and source["last_success"] is None and source["last_error"]
        assert source["url"] == f"http://127.0.0.1:{port}" and "secret" not in str(source)
        sample = {"labels": {"host": "h", "metric": "cpu"}, "timestamp": "2026-05-01T00:00:00Z", "value": 1}
        assert client.post("/api/metrics/samples", json={"samples": [sample]}).status_code == 202
        assert client.get("/api/forecasts").status_code == 200
    assert make_settings(tmp_path).PROMETHEUS_URL is None

"""Health, kill switch and auth, through the app with its lifespan."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from backend_api import create_app
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from tests.conftest import api_client, free_port, make_settings


def test_health_and_openapi(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        body = client.get("/api/health").json()
        assert body["status"] == "ok" and body["kill_switch_active"] is False
        assert "/api/kill-switch" in client.get("/openapi.json").json()["paths"]
        assert client.get("/docs").status_code == 200


def test_kill_switch_set_is_idempotent_audited_and_survives_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with api_client(create_app(settings)) as client:
        first = client.put("/api/kill-switch", json={"active": True, "reason": "patch night", "actor": "alice"})
        assert first.status_code == 200
        assert first.json()["active"] is True and first.json()["changed"] is True
        again = client.put("/api/kill-switch", json={"active": True, "reason": "again", "actor": "bob"})
        assert again.json()["changed"] is False and again.json()["changed_by"] == "admin"
        assert client.get("/api/kill-switch/status").json()["active"] is True
    with api_client(create_app(settings)) as client:
        status = client.get("/api/kill-switch/status").json()
        assert status["active"] is True and status["reason"] == "patch night" and status["changed_by"] == "admin"
        assert status["changed_at"].endswith("Z")
        kb = client.app.state.kb  # type: ignore[attr-defined]
        audit = kb.list_audit().items
        assert [(a.actor, a.action, a.reason) for a in audit] == [("admin", "kill_switch.activate", "patch night")]


def test_toggle_kept_for_compatibility(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        on = client.post("/api/kill-switch/toggle").json()
        assert on["active"] is True and on["message"].startswith("Kill switch activated")
        off = client.post("/api/kill-switch/toggle").json()
        assert off["active"] is False


def test_invalid_bodies_are_422_naming_the_field(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        response = client.put("/api/kill-switch", json={"active": "maybe", "reason": "x"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "active"]
        missing = client.put("/api/kill-switch", json={"active": True})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
        assert client.post("/api/terminal-output-mode", json={"mode": "loud"}).status_code == 422
        assert client.get("/api/kill-switch/status").json()["active"] is False


VIEWER = "vera:viewer:viewer-token-0123456789"
OPERATOR = "otto:operator:operator-token-0123456789"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_token_required_for_mutations_and_reads(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret-token-of-16+", OPSFORGE_API_TOKENS=VIEWER)
    body = {"active": True, "reason": "x"}
    with api_client(create_app(settings), token=None) as client:
        assert client.put("/api/kill-switch", json=body).status_code == 401
        wrong = client.put("/api/kill-switch", json=body, headers=bearer("nope"))
        assert wrong.status_code == 401 and "invalid_token" in wrong.headers["WWW-Authenticate"]
        assert client.post("/api/simulation/start").status_code == 401
        assert client.get("/api/kill-switch/status").status_code == 401
        assert client.get("/api/logs").status_code == 401
        assert client.get("/api/health").status_code == 200
        viewer = bearer("viewer-token-0123456789")
        assert client.put("/api/kill-switch", json=body, headers=viewer).status_code == 403
        assert client.post("/api/kill-switch/toggle", headers=viewer).status_code == 403
        assert client.get("/api/kill-switch/status", headers=viewer).json()["active"] is False
        ok = client.put("/api/kill-switch", json=body, headers=bearer("s3cret-token-of-16+"))
        assert ok.status_code == 200 and ok.json()["active"] is True


def test_the_audited_actor_is_the_token_identity(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, OPSFORGE_API_TOKENS=OPERATOR)
    with api_client(create_app(settings), token="operator-token-0123456789") as client:
        body = {"active": True, "reason": "freeze", "actor": "mallory"}
        answer = client.put("/api/kill-switch", json=body).json()
        assert answer["changed_by"] == "otto"
        audit = client.app.state.kb.list_audit().items  # type: ignore[attr-defined]
        assert [(a.actor, a.details) for a in audit] == [("otto", {"client_actor": "mallory"})]
        toggled = client.post("/api/kill-switch/toggle", json={"reason": "thaw"}).json()
        assert toggled["changed_by"] == "otto" and toggled["active"] is False


def test_kill_switch_booleans_are_strict_and_reasons_one_line(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        for active in ("yes", 1, "true", 0):
            response = client.put("/api/kill-switch", json={"active": active, "reason": "x"})
            assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "active"]
        forged = "ok\n12:00:00 KILLSWITCH    Kill switch deactivated by admin"
        for path, body in (("/api/kill-switch", {"active": True, "reason": forged}),
                           ("/api/kill-switch/toggle", {"reason": forged}),
                           ("/api/kill-switch", {"active": True, "reason": "x", "actor": "a\rb"})):  # fmt: skip
            response = client.put(path, json=body) if "active" in body else client.post(path, json=body)
            assert response.status_code == 422, body
        assert client.get("/api/kill-switch/status").json()["active"] is False


def test_unknown_routes_are_404(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/nope").status_code == 404


def test_a_stored_alert_from_year_9999_is_set_aside_reported_and_the_service_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    alert = {"labels": {"alertname": "DbDown", "tenant": "acme"}, "startsAt": "2026-05-01T12:00:00Z"}
    with api_client(create_app(settings)) as client:
        assert client.post("/api/alerts", json=[alert]).status_code == 202
        assert client.get("/api/health").json()["quarantined"] == 0
    kb = KnowledgeBase(SqliteDocumentStore(settings.KB_PATH))  # stored before event times were bounded
    (stored,) = kb.list_alerts().items
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    kb.save_alerts([stored.model_copy(update={"startsAt": far, "lastSeen": far})])
    kb.close()
    with api_client(create_app(settings)) as client:
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
    with api_client(create_app(settings)) as client:
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

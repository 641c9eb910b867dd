"""Alert ingestion over HTTP: Alertmanager webhook, generic batch, 413/422/429, durability, incidents API."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings

# A notification as Prometheus Alertmanager 0.27 sends it to a webhook receiver (firing alerts carry the
# zero time as endsAt).
ALERTMANAGER_PAYLOAD: dict[str, Any] = {
    "receiver": "opsforge",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "PostgresDown", "instance": "db-1:9187", "job": "postgres", "service": "db",
                       "severity": "critical", "tenant": "acme"},
            "annotations": {"summary": "Postgres is down on db-1"},
            "startsAt": "2026-05-01T12:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=pg_up+%3D%3D+0",
            "fingerprint": "c1a2b3d4e5f60718",
        },
        {
            "status": "firing",
            "labels": {"alertname": "ApiErrorRate", "instance": "api-1:8080", "job": "api", "service": "api",
                       "severity": "warning", "tenant": "acme"},
            "annotations": {"summary": "API 5xx above 5%"},
            "startsAt": "2026-05-01T12:01:10.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=rate",
            "fingerprint": "0a1b2c3d4e5f6071",
        },
    ],
    "groupLabels": {"tenant": "acme"},
    "commonLabels": {"tenant": "acme"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "version": "4",
    "groupKey": '{}:{tenant="acme"}',
    "truncatedAlerts": 0,
}  # fmt: skip

TOPOLOGY = {
    "tenant": "acme",
    "services": [
        {"name": "api", "hosts": ["api-1"], "site": "fra1"},
        {"name": "db", "hosts": ["db-1"], "site": "fra1"},
    ],
    "dependencies": [["api", "db"]],
}


def test_alertmanager_webhook_round_trip_opens_one_incident_with_root_cause(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.put("/api/topology", json=TOPOLOGY).status_code == 200
        response = client.post("/api/ingest/alertmanager", json=ALERTMANAGER_PAYLOAD)
        assert response.status_code == 202
        assert response.json()["accepted"] == 2 and response.json()["incidents_opened"] == 1
        incidents = client.get("/api/incidents").json()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident["alerts"] == 2 and incident["rootCauseService"] == "db" and incident["rootCauseHost"] == "db-1"
        assert incident["tenant"] == "acme" and incident["createdAt"] == "2026-05-01T12:00:00.000Z"
        alerts = client.get("/api/alerts", params={"incident_id": incident["id"]}).json()
        assert {a["fingerprint"] for a in alerts["items"]} == {"c1a2b3d4e5f60718", "0a1b2c3d4e5f6071"}
        assert all(a["endsAt"] is None for a in alerts["items"])
        detail = client.get(f"/api/incidents/{incident['id']}").json()
        assert len(detail["correlated_alerts"]) == 2 and detail["why_trace"]["decisions"][1]["decision"] == "joined"
        assert detail["timeline"][0]["time"].endswith("Z")


def test_generic_batch_and_validation_errors_name_the_field(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        good = [{"labels": {"alertname": "X", "tenant": "t"}, "startsAt": "2026-05-01T12:00:00Z"}]
        assert client.post("/api/alerts", json=good).status_code == 202
        naive = [{"labels": {"alertname": "X"}, "startsAt": "2026-05-01T12:00:00"}]
        response = client.post("/api/alerts", json=naive)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "startsAt"
        no_labels = [{"labels": {}, "startsAt": "2026-05-01T12:00:00Z"}]
        assert client.post("/api/alerts", json=no_labels).json()["detail"][0]["loc"][-1] == "labels"
        bad_status = {**ALERTMANAGER_PAYLOAD, "status": "maybe"}
        assert client.post("/api/ingest/alertmanager", json=bad_status).status_code == 422
        assert len(client.get("/api/alerts").json()["items"]) == 1  # nothing of the bad requests was stored
        bad_topology = {**TOPOLOGY, "dependencies": [["api", "nowhere"]]}
        assert client.put("/api/topology", json=bad_topology).status_code == 422
        assert client.get("/api/incidents", params={"cursor": "garbage"}).status_code == 422


def test_body_over_the_limit_is_413(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, INGEST_MAX_BODY_BYTES=2048))) as client:
        huge = [
            {"labels": {"alertname": f"A{n}", "tenant": "t"}, "startsAt": "2026-05-01T12:00:00Z"} for n in range(100)
        ]
        response = client.post("/api/alerts", json=huge)
        assert response.status_code == 413
        assert client.get("/api/alerts").json()["items"] == []


def test_full_ingest_queue_is_429_with_retry_after(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, INGEST_MAX_INFLIGHT=1))
    with TestClient(app) as client:
        slots: threading.BoundedSemaphore = app.state.ingest_slots
        assert slots.acquire(timeout=1)  # another batch is being processed
        try:
            response = client.post("/api/alerts", json=[{"labels": {"a": "b"}, "startsAt": "2026-05-01T12:00:00Z"}])
        finally:
            slots.release()
        assert response.status_code == 429 and response.headers["Retry-After"] == "1"
        assert client.get("/api/alerts").json()["items"] == []


def test_acknowledged_alerts_survive_a_restart_with_sqlite(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        client.put("/api/topology", json=TOPOLOGY)
        assert client.post("/api/ingest/alertmanager", json=ALERTMANAGER_PAYLOAD).status_code == 202
        incident_id = client.get("/api/incidents").json()[0]["id"]
        ack = client.post(f"/api/incidents/{incident_id}/acknowledge", json={"reason": "on it", "actor": "alice"})
        assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    with TestClient(create_app(settings)) as client:
        incidents = client.get("/api/incidents").json()
        assert [i["status"] for i in incidents] == ["acknowledged"]
        assert len(client.get("/api/alerts").json()["items"]) == 2
        detail = client.get(f"/api/incidents/{incident_id}").json()
        assert detail["audit_logs"][0]["agent"] == "alice" and detail["audit_logs"][0]["description"] == "on it"
        assert client.get("/api/topology/acme").json()["dependencies"] == [["api", "db"]]


def test_incident_listing_filters_pagination_and_errors(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        batch = [
            {"labels": {"alertname": f"Alert{n}", "service": f"svc{n}", "tenant": "acme" if n % 2 else "globex"},
             "startsAt": f"2026-05-01T12:{n:02d}:00Z"}
            for n in range(7)
        ]  # fmt: skip
        client.post("/api/alerts", json=batch)
        first = client.get("/api/incidents", params={"limit": 3})
        assert len(first.json()) == 3 and "X-Next-Cursor" in first.headers
        rest = client.get("/api/incidents", params={"limit": 10, "cursor": first.headers["X-Next-Cursor"]})
        assert len(rest.json()) == 4 and "X-Next-Cursor" not in rest.headers
        ids = [i["id"] for i in first.json() + rest.json()]
        assert len(set(ids)) == 7
        assert {i["tenant"] for i in client.get("/api/incidents", params={"tenant": "acme"}).json()} == {"acme"}
        since = client.get("/api/incidents", params={"since": "2026-05-01T12:05:00Z"}).json()
        assert len(since) == 2
        assert client.get("/api/incidents", params={"status": "bogus"}).status_code == 422
        assert client.get("/api/incidents/INC-none").status_code == 404
        assert client.post("/api/incidents/INC-none/resolve", json={"reason": "x"}).status_code == 404
        resolved = client.post(f"/api/incidents/{ids[0]}/resolve", json={"reason": "fixed"})
        assert resolved.json()["status"] == "resolved"
        assert client.post(f"/api/incidents/{ids[0]}/acknowledge", json={"reason": "late"}).status_code == 409

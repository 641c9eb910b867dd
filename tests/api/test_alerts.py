"""Alerts over HTTP: Alertmanager webhook, generic batch, 413/422/429, durability, the stored alerts' listing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from api.alerts import MAX_ALERTS_PER_REQUEST, ingest_slot
from backend_api import create_app
from data.timeutil import utc_now
from tests.api.conftest import TOPOLOGY
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


def test_a_request_cancelled_while_waiting_for_a_slot_holds_none() -> None:
    slots = threading.BoundedSemaphore(1)
    request = cast(Request, SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(ingest_slots=slots))))
    assert slots.acquire(blocking=False)  # another batch is being processed

    async def cancel_a_waiting_request() -> None:
        waiting = asyncio.ensure_future(anext(ingest_slot(request)))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(cancel_a_waiting_request())
    slots.release()  # the other batch ends: its slot must be free for the next request, not taken by the cancelled one
    time.sleep(0.1)
    assert slots.acquire(blocking=False)


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


# ------------------------------------------------------------------ request bodies: one-pass validation, errors

GENERIC = "/api/alerts"
WEBHOOK = "/api/ingest/alertmanager"


def generic_alert(n: int, **extra: Any) -> dict[str, Any]:
    return {"labels": {"alertname": f"A{n}", "tenant": "t"}, "startsAt": "2026-05-01T12:00:00Z", **extra}


def as_webhook(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {**ALERTMANAGER_PAYLOAD, "alerts": [{"status": "firing", **alert} for alert in alerts]}


def stored(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/alerts").json()["items"]
    return items


@pytest.mark.parametrize(
    ("path", "wrap", "prefix"),
    [(GENERIC, lambda alerts: alerts, ["body"]), (WEBHOOK, as_webhook, ["body", "alerts"])],
)
def test_invalid_bodies_are_422_naming_the_field_and_store_nothing(
    tmp_path: Path, path: str, wrap: Callable[[list[dict[str, Any]]], Any], prefix: list[Any]
) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        deep = [generic_alert(0), generic_alert(1, labels={"alertname": "B", "service": 5})]
        error = client.post(path, json=wrap(deep)).json()["detail"][0]
        assert error["loc"] == [*prefix, 1, "labels", "service"] and error["type"] == "string_type"
        assert error["input"] == 5
        late = [generic_alert(0), generic_alert(1, endsAt="tomorrow")]
        assert client.post(path, json=wrap(late)).json()["detail"][0]["loc"] == [*prefix, 1, "endsAt"]
        naive = [generic_alert(0, startsAt="2026-05-01T12:00:00")]
        assert client.post(path, json=wrap(naive)).json()["detail"][0]["loc"] == [*prefix, 0, "startsAt"]
        missing = [{"labels": {"alertname": "X"}}]
        error = client.post(path, json=wrap(missing)).json()["detail"][0]
        assert error["loc"] == [*prefix, 0, "startsAt"] and error["type"] == "missing"

        too_many = [generic_alert(n) for n in range(MAX_ALERTS_PER_REQUEST + 1)]
        response = client.post(path, json=wrap(too_many))
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == prefix and error["type"] == "too_long" and error["input"] is None  # no echo

        malformed = json.dumps(wrap([generic_alert(0)]))[:-2].encode()
        response = client.post(path, content=malformed, headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body"] and error["type"] == "json_invalid" and error["input"] is None

        empty = client.post(path, content=b"", headers={"Content-Type": "application/json"})
        assert empty.status_code == 422 and empty.json()["detail"][0]["type"] == "missing"
        body = json.dumps(wrap([generic_alert(0)])).encode()
        for headers in ({}, {"Content-Type": "text/plain"}):  # never parsed as JSON: a browser's simple request
            response = client.post(path, content=body, headers=headers)
            assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body"]
        assert stored(client) == []
        plus_json = client.post(path, content=body, headers={"Content-Type": "application/vnd.x+json; charset=utf-8"})
        assert plus_json.status_code == 202 and len(stored(client)) == 1


def test_empty_alert_lists(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        error = client.post(GENERIC, json=[]).json()["detail"][0]
        assert error["loc"] == ["body"] and error["type"] == "too_short"
        # A notification without alerts is well formed: nothing to store.
        response = client.post(WEBHOOK, json=as_webhook([]))
        assert response.status_code == 202 and response.json()["accepted"] == 0
        assert stored(client) == []


@pytest.mark.parametrize(("path", "wrap"), [(GENERIC, lambda alerts: alerts), (WEBHOOK, as_webhook)])
def test_bodies_over_the_limit_are_413_declared_or_streamed(
    tmp_path: Path, path: str, wrap: Callable[[list[dict[str, Any]]], Any]
) -> None:
    with TestClient(create_app(make_settings(tmp_path, INGEST_MAX_BODY_BYTES=2048))) as client:
        body = json.dumps(wrap([generic_alert(n) for n in range(100)])).encode()
        headers = {"Content-Type": "application/json"}
        assert client.post(path, content=body, headers=headers).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is found while the body is read
            yield from (body[i : i + 512] for i in range(0, len(body), 512))

        assert client.post(path, content=chunks(), headers=headers).status_code == 413
        assert stored(client) == []
        small = json.dumps(wrap([generic_alert(0)])).encode()
        assert client.post(path, content=iter([small]), headers=headers).status_code == 202


def test_webhook_alerts_are_recorded_as_from_alertmanager_whatever_they_say(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        payload = as_webhook([generic_alert(0, source="x" * 100, unknown={"a": 1})])
        assert client.post(WEBHOOK, json=payload).status_code == 202
        assert client.post(GENERIC, json=[generic_alert(1, source="nagios")]).status_code == 202
        assert sorted(a["source"] for a in stored(client)) == ["alertmanager", "nagios"]


def test_ingest_needs_the_token_and_documents_its_body(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret"))) as client:
        for path, body in ((GENERIC, [generic_alert(0)]), (WEBHOOK, as_webhook([generic_alert(0)]))):
            assert client.post(path, json=body).status_code == 401
            assert client.post(path, json=body, headers={"Authorization": "Bearer nope"}).status_code == 403
            ok = client.post(path, json=body, headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 202 and ok.json()["accepted"] == 1
        operations = client.get("/openapi.json").json()["paths"]
        generic = operations[GENERIC]["post"]
        schema = generic["requestBody"]["content"]["application/json"]["schema"]
        assert schema["type"] == "array" and schema["maxItems"] == MAX_ALERTS_PER_REQUEST
        assert schema["items"]["title"] == "AlertIn" and "startsAt" in schema["items"]["required"]
        assert "422" in generic["responses"] and "202" in generic["responses"]
        hook = operations[WEBHOOK]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert hook["title"] == "AlertmanagerWebhook" and "$ref" not in json.dumps(hook)
        assert "source" not in hook["properties"]["alerts"]["items"]["properties"]


@pytest.mark.parametrize(("path", "wrap"), [(GENERIC, lambda alerts: alerts), (WEBHOOK, as_webhook)])
def test_times_out_of_range_or_ahead_of_the_receiver_are_422_and_a_batch_is_applied_whole(
    tmp_path: Path, path: str, wrap: Callable[[list[dict[str, Any]]], Any]
) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        for field in ("startsAt", "endsAt"):
            for text in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:00Z"):
                response = client.post(path, json=wrap([generic_alert(0), generic_alert(1, **{field: text})]))
                assert response.status_code == 422, (field, text)
                assert field in json.dumps(response.json()["detail"])
        ahead = (utc_now() + timedelta(hours=1)).isoformat()
        response = client.post(path, json=wrap([generic_alert(0), generic_alert(1, startsAt=ahead)]))
        assert response.status_code == 422 and response.json()["detail"].startswith("alerts[1].startsAt:")
        backwards = generic_alert(1, startsAt="2026-05-01T12:00:00Z", endsAt="2026-05-01T11:00:00Z")
        response = client.post(path, json=wrap([generic_alert(0), backwards]))
        assert response.status_code == 422 and "endsAt must not be before startsAt" in response.text
        huge = generic_alert(1, labels={"alertname": "B", "tenant": "t", "blob": "x" * 100_000})
        response = client.post(path, json=wrap([generic_alert(0), huge]))
        assert response.status_code == 422 and response.json()["detail"].startswith("alerts[1].labels.blob:")
        slash = generic_alert(1, labels={"alertname": "B", "tenant": "a/b"})
        response = client.post(path, json=wrap([generic_alert(0), slash]))
        assert response.status_code == 422 and "tenant" in response.text
        assert stored(client) == []  # alerts[0] of every refused batch was not applied either
        assert client.get("/api/incidents").json() == []


def test_a_zero_end_time_is_no_end_and_a_zero_start_time_is_422(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.post(GENERIC, json=[generic_alert(0, endsAt=0)]).status_code == 202
        (alert,) = stored(client)
        assert alert["endsAt"] is None and alert["status"] == "firing"  # not read as 1970, so not resolved
        response = client.post(GENERIC, json=[generic_alert(1, startsAt=0)])
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "startsAt"


def test_a_fingerprint_another_tenant_sends_never_touches_this_tenants_alert(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        start = {"startsAt": "2026-05-01T12:00:00Z"}
        mine = {"labels": {"alertname": "DbDown", "tenant": "acme"}, "fingerprint": "f00d", **start}
        theirs = {"labels": {"alertname": "Spoof", "tenant": "globex"}, "fingerprint": "f00d", **start}
        assert client.post(GENERIC, json=[mine]).status_code == 202
        assert client.post(GENERIC, json=[theirs]).status_code == 202
        by_tenant = {a["labels"]["tenant"]: a for a in stored(client)}
        assert by_tenant["acme"]["labels"]["alertname"] == "DbDown" and by_tenant["acme"]["count"] == 1
        (incident,) = [i for i in client.get("/api/incidents").json() if i["tenant"] == "acme"]
        detail = client.get(f"/api/incidents/{incident['id']}").json()
        assert [a["labels"]["alertname"] for a in detail["correlated_alerts"]] == ["DbDown"]

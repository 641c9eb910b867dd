"""Actions through the app: 202 with the record, 409 naming the rule, 422 naming the field, approvals,
idempotency, the recent list in the seed's shape, and the incident's actions with their decisions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend_api import create_app
from config.action_executor import Executor
from tests.conftest import make_settings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, AUTONOMY_ENABLED=False, SCHEDULED_TASKS_ENABLED=False, EXEC_RETRY_BACKOFF_S=0)
    with TestClient(create_app(settings)) as test_client:
        test_client.app.state.simulation.world.step(START)  # type: ignore[attr-defined]
        yield test_client


def executor(client: TestClient) -> Executor:
    return client.app.state.executor  # type: ignore[attr-defined, no-any-return]


def post(client: TestClient, **body: Any) -> Any:
    values: dict[str, Any] = {"action": "cleanup_disk", "target": "acme-web-01", "reason": "disk filling"}
    values.update(body)
    return client.post("/api/actions", json=values)


def test_a_requested_action_runs_and_shows_its_decisions(client: TestClient) -> None:
    response = post(client, actor="ana", incident_id="INC-1")
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["state"] == "running" and started["request"]["requested_by"] == "user:ana"
    assert started["request"]["tenant"] == "acme"
    done = executor(client).wait(started["id"], 10)
    shown = client.get(f"/api/actions/{started['id']}").json()
    assert shown["state"] == done.state.value in {"succeeded", "failed"}
    assert [d["rule"] for d in shown["decisions"]][:2] == ["kill_switch", "silence"]
    assert shown["verified"] is (done.state.value == "succeeded")
    listed = client.get("/api/actions", params={"incident_id": "INC-1"}).json()
    assert [a["id"] for a in listed["items"]] == [started["id"]] and listed["next_cursor"] is None
    recent = client.get("/api/actions/recent").json()
    assert recent[0]["agent"] == "ana" and recent[0]["action"] == "Disk clean-up" and recent[0]["time"].endswith("Z")
    assert client.get("/api/actions/EXA-nope").status_code == 404


def test_the_kill_switch_refuses_with_409_naming_it(client: TestClient) -> None:
    client.put("/api/kill-switch", json={"active": True, "reason": "change freeze", "actor": "ops"})
    response = post(client)
    assert response.status_code == 409
    assert (
        response.json()["detail"].startswith("blocked by kill_switch:") and "change freeze" in response.json()["detail"]
    )
    blocked = client.get("/api/actions", params={"state": "blocked"}).json()["items"]
    assert len(blocked) == 1 and blocked[0]["blocked_by"] == "kill_switch"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "format_disk"}, "action"),
        ({"target": "nowhere-01"}, "target"),
        ({"params": {"force": True}}, "params.force"),
        ({"action": "clear_cache"}, "target"),  # precondition: a cache host
        ({"action": "scale_out", "params": {"replicas": 10_000}}, "params.replicas"),
    ],
)
def test_bad_requests_are_422_naming_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = post(client, **body)
    assert response.status_code == 422 and response.json()["detail"].startswith(f"{field}:")
    assert client.get("/api/actions").json()["items"] == []


def test_bad_bodies_are_422(client: TestClient) -> None:
    assert post(client, reason="").status_code == 422
    assert post(client, unexpected=1).status_code == 202  # extra fields are ignored, like every body
    assert client.post("/api/actions", json={"action": "cleanup_disk"}).status_code == 422
    assert client.get("/api/actions", params={"state": "weird"}).status_code == 422
    assert client.get("/api/actions", params={"cursor": "garbage"}).status_code == 422


def test_high_risk_waits_for_a_second_person(client: TestClient) -> None:
    response = post(client, action="reboot", actor="bob")
    assert response.status_code == 202 and response.json()["state"] == "awaiting_approval"
    action_id = response.json()["id"]
    own = client.post(f"/api/actions/{action_id}/approve", json={"actor": "bob", "reason": "mine"})
    assert own.status_code == 409
    approved = client.post(f"/api/actions/{action_id}/approve", json={"actor": "ana", "reason": "window ok"})
    assert approved.status_code == 200 and approved.json()["state"] == "running"
    assert approved.json()["approved_by"] == "user:ana"
    executor(client).wait(action_id, 30)  # one replica of a service at a time: the next waits for this one
    other = post(client, action="reboot", target="acme-web-02").json()
    rejected = client.post(f"/api/actions/{other['id']}/reject", json={"actor": "ana", "reason": "no"})
    assert rejected.json()["state"] == "rejected"
    again = client.post(f"/api/actions/{other['id']}/approve", json={"actor": "ana", "reason": "changed my mind"})
    assert again.status_code == 409


def test_a_retried_request_returns_the_same_action(client: TestClient) -> None:
    first = post(client, idempotency_key="ticket-42").json()
    second = post(client, idempotency_key="ticket-42").json()
    assert second["id"] == first["id"]
    assert len(client.get("/api/actions").json()["items"]) == 1

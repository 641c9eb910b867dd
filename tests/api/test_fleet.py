"""Fleet, topology, scenario catalogue, fault injection and truth endpoints, through the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import fleet
from backend_api import create_app
from data.sim.world import World
from data.sinks import RecordingSink
from tests.conftest import api_client, make_settings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


class FakeRunner:
    """Stands in for the simulation runner: the endpoints only read ``world`` and ``running``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.running = True


def build(tmp_path: Path, **settings: Any) -> tuple[TestClient, FakeRunner]:
    app = create_app(make_settings(tmp_path, **settings))
    if not any(getattr(r, "path", None) == "/api/fleet" for r in app.routes):
        app.include_router(fleet.router)
    world = World(seed=3, alert_sink=RecordingSink())
    for minute in range(30):
        world.step(START + timedelta(minutes=minute))
    return api_client(app), FakeRunner(world)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, FakeRunner]]:
    test_client, runner = build(tmp_path)
    with test_client:
        test_client.app.state.simulation = runner  # type: ignore[attr-defined]
        yield test_client, runner


def test_fleet_lists_tenants_sites_and_hosts_with_state(client: tuple[TestClient, FakeRunner]) -> None:
    http, _ = client
    body = http.get("/api/fleet").json()
    assert [t["name"] for t in body["tenants"]] == ["acme", "globex", "initech", "umbrella"]
    assert len(body["sites"]) == 8 and len(body["hosts"]) == 60
    host = body["hosts"][0]
    assert {"role", "os", "criticality", "packages", "state", "firing", "metrics"} <= set(host)
    summary = body["summary"]
    assert summary["hosts"] == 60 == summary["healthy"] + summary["degraded"] + summary["down"]


def test_topology_lists_services_and_edges(client: tuple[TestClient, FakeRunner]) -> None:
    http, _ = client
    tenants = http.get("/api/fleet/topology").json()["tenants"]
    acme = next(t for t in tenants if t["tenant"] == "acme")
    assert ["acme-web", "acme-api"] in acme["dependencies"]
    assert {s["role"] for s in acme["services"]} >= {"web", "api", "db", "lb", "dns"}


def test_scenarios_and_injection(client: tuple[TestClient, FakeRunner]) -> None:
    http, runner = client
    items = http.get("/api/simulation/scenarios").json()["items"]
    assert len([s for s in items if s["random"]]) >= 16
    created = http.post("/api/simulation/scenarios/dns_failure", json={"tenant": "initech"})
    assert created.status_code == 201
    fault = created.json()
    assert fault["scenario"] == "dns_failure" and fault["tenant"] == "initech" and fault["remedy"] == "flush_dns"
    assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 201
    assert http.post("/api/simulation/scenarios/nope").status_code == 404
    assert http.post("/api/simulation/scenarios/cpu_spike", json={"host": "ghost-01"}).status_code == 404
    runner.running = False
    assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 409
    assert http.post("/api/simulation/scenarios/nope").status_code == 404


def test_truth_is_paginated(client: tuple[TestClient, FakeRunner]) -> None:
    http, runner = client
    total = len(runner.world.truth.faults())
    assert total >= 3
    first = http.get("/api/simulation/truth", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"] == "2"
    rest = http.get("/api/simulation/truth", params={"limit": 500, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == total - 2 and rest["next_cursor"] is None
    assert [f["id"] for f in first["items"] + rest["items"]] == [f.id for f in runner.world.truth.faults()]
    alerts = http.get("/api/simulation/truth/alerts", params={"limit": 5}).json()
    assert len(alerts["items"]) == 5 and alerts["next_cursor"] == "5"
    for cursor in ("abc", "²", "٣"):  # the last two are digits to str.isdigit(), not to int()
        response = http.get("/api/simulation/truth", params={"cursor": cursor})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "cursor"]
        assert http.get("/api/simulation/truth/alerts", params={"cursor": cursor}).status_code == 422


def test_truth_is_not_served_while_the_simulation_is_stopped(client: tuple[TestClient, FakeRunner]) -> None:
    http, runner = client
    runner.running = False
    for path in ("/api/simulation/truth", "/api/simulation/truth/alerts"):
        response = http.get(path)
        assert response.status_code == 409 and "stopped" in response.json()["detail"]


def test_injection_and_reads_need_the_token(tmp_path: Path) -> None:
    test_client, runner = build(tmp_path, OPSFORGE_API_TOKEN="s3cret-token-value-for-tests")
    with test_client as http:
        http.app.state.simulation = runner  # type: ignore[attr-defined]
        http.headers.pop("Authorization")
        assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 401
        assert http.get("/api/fleet").status_code == 401
        assert http.get("/api/simulation/truth").status_code == 401
        headers = {"Authorization": "Bearer s3cret-token-value-for-tests"}
        assert http.post("/api/simulation/scenarios/cpu_spike", headers=headers).status_code == 201
        assert http.get("/api/fleet", headers=headers).status_code == 200

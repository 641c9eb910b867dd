"""Topology over HTTP: a tenant's pushed service graph, and the simulated fleet's services and calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.api.conftest import TOPOLOGY, FakeRunner
from tests.conftest import make_settings


def test_put_replaces_one_tenant_and_get_returns_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/topology/acme").status_code == 404
        stored = client.put("/api/topology", json=TOPOLOGY).json()
        assert stored["tenant"] == "acme" and stored["dependencies"] == [["api", "db"]]
        assert client.get("/api/topology/acme").json() == stored
        assert client.get("/api/topology/globex").status_code == 404
        bad = client.put("/api/topology", json={**TOPOLOGY, "tenant": None})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "tenant"]


def test_topology_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret"))) as client:
        assert client.put("/api/topology", json=TOPOLOGY).status_code == 401
        ok = client.put("/api/topology", json=TOPOLOGY, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200


def test_topology_lists_services_and_edges(sim_client: tuple[TestClient, FakeRunner]) -> None:
    http, _ = sim_client
    tenants = http.get("/api/fleet/topology").json()["tenants"]
    acme = next(t for t in tenants if t["tenant"] == "acme")
    assert ["acme-web", "acme-api"] in acme["dependencies"]
    assert {s["role"] for s in acme["services"]} >= {"web", "api", "db", "lb", "dns"}


def topology(tenant: str, services: int, *, star: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": tenant,
        "services": [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(services)],
        "dependencies": [["s0", f"s{i}"] for i in range(1, services)] if star else [],
    }
    return body


def test_a_topology_over_the_limits_is_422_and_keeps_the_current_graph(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, TOPOLOGY_MAX_SERVICES=100, TOPOLOGY_MAX_DEPENDENCIES=50)
    with TestClient(create_app(settings)) as client:
        assert client.put("/api/topology", json=topology("acme", 10, star=True)).status_code == 200
        response = client.put("/api/topology", json=topology("acme", 101))
        assert response.status_code == 422 and response.json()["detail"].startswith("services:")
        response = client.put("/api/topology", json=topology("acme", 60, star=True))
        assert response.status_code == 422 and response.json()["detail"].startswith("dependencies:")
        crowded = topology("acme", 70)
        for service in crowded["services"]:
            service["hosts"] = ["one-host"]
        response = client.put("/api/topology", json=crowded)
        assert response.status_code == 422 and "one-host" in response.json()["detail"]
        assert len(client.get("/api/topology/acme").json()["services"]) == 10

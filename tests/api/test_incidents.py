"""Incidents and topology over HTTP: what a query or a pushed graph may hold (422 naming the field above it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings


def topology(tenant: str, services: int, *, star: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": tenant,
        "services": [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(services)],
        "dependencies": [["s0", f"s{i}"] for i in range(1, services)] if star else [],
    }
    return body


def test_since_out_of_range_or_without_a_zone_is_422_naming_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        for since in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "2026-05-01T12:00:00"):
            response = client.get("/api/incidents", params={"since": since})
            assert response.status_code == 422, since
            assert response.json()["detail"][0]["loc"] == ["query", "since"]
        assert client.get("/api/incidents", params={"since": "9999-12-31T23:59:00Z"}).json() == []


def test_a_tenant_name_is_one_pattern_everywhere(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.put("/api/topology", json=topology("a/b", 2)).status_code == 422
        assert client.put("/api/topology", json=topology("../x", 2)).status_code == 422
        assert client.get("/api/incidents", params={"tenant": "a/b"}).status_code == 422
        assert client.get("/api/topology/a b").status_code == 422
        assert client.put("/api/topology", json=topology("acme-eu.1", 2)).status_code == 200
        assert client.get("/api/topology/acme-eu.1").status_code == 200


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

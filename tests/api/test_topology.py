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


def alert(name: str, service: str, minute: int) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "service": service, "instance": f"{service}-1:9100", "tenant": "initech"},
        "startsAt": f"2026-01-05T{9 + minute // 60:02d}:{minute % 60:02d}:00Z",
    }


def test_without_a_pushed_graph_get_shows_learned_edges_and_an_operator_decides_on_them(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/topology/initech").status_code == 404
        for hour in range(3):  # db fails, api follows a minute later, three times
            batch = [alert("DbDown", "db", hour * 120), alert("ApiErrors", "api", hour * 120 + 1)]
            assert client.post("/api/alerts", json=batch).status_code < 300
        body = client.get("/api/topology/initech").json()
        assert body["pushed"] is False and body["services"] == [] and body["dependencies"] == []
        (edge,) = body["learnedEdges"]
        assert (edge["caller"], edge["callee"], edge["count"], edge["reverseCount"]) == ("api", "db", 3, 0)
        assert edge["meanDelaySeconds"] == 60.0 and edge["lastSeen"].startswith("2026-01-05T13:01")
        assert 0 < edge["confidence"] <= 1 and edge["decision"] is None
        decision = {"caller": "api", "callee": "db", "reason": "api reads from db", "actor": "alice"}
        confirmed = client.post("/api/topology/initech/edges/confirm", json=decision).json()
        assert confirmed["decision"] == "confirmed" and confirmed["confidence"] == 1.0
        rejected = client.post("/api/topology/initech/edges/reject", json=decision)
        assert rejected.status_code == 200 and rejected.json()["decision"] == "rejected"
        assert client.get("/api/topology/initech").json()["learnedEdges"][0]["decision"] == "rejected"
        unknown = client.post("/api/topology/initech/edges/confirm", json={**decision, "callee": "nowhere"})
        assert unknown.status_code == 404
        missing = client.post("/api/topology/initech/edges/confirm", json={"caller": "api", "callee": "db"})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
        assert client.post("/api/topology/a%2Fb/edges/confirm", json=decision).status_code in (404, 422)
        pushed = client.put("/api/topology", json={**TOPOLOGY, "tenant": "initech"}).json()
        assert pushed["pushed"] is True and pushed["dependencies"] == [["api", "db"]]
        assert pushed["learnedEdges"][0]["caller"] == "api"  # shown beside the pushed graph, which wins


def test_edge_decisions_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret"))) as client:
        decision = {"caller": "api", "callee": "db", "reason": "r"}
        assert client.post("/api/topology/acme/edges/reject", json=decision).status_code == 401

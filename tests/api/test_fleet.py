"""The simulated fleet and its advisories, through the app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import FakeRunner


def test_fleet_lists_tenants_sites_and_hosts_with_state(sim_client: tuple[TestClient, FakeRunner]) -> None:
    http, _ = sim_client
    body = http.get("/api/fleet").json()
    assert [t["name"] for t in body["tenants"]] == ["acme", "globex", "initech", "umbrella"]
    assert len(body["sites"]) == 8 and len(body["hosts"]) == 60
    host = body["hosts"][0]
    assert {"role", "os", "criticality", "packages", "state", "firing", "metrics"} <= set(host)
    summary = body["summary"]
    assert summary["hosts"] == 60 == summary["healthy"] + summary["degraded"] + summary["down"]

"""Incidents over HTTP: listing with filters and cursor pagination, detail, acknowledge and resolve; what a
query may hold (422 naming the field)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings


def test_incident_listing_filters_pagination_and_errors(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        batch = [
            {"labels": {"alertname": f"Alert{n}", "service": f"svc{n}", "tenant": "acme" if n % 2 else "globex"},
             "startsAt": f"2026-05-01T12:{n:02d}:00Z"}
            for n in range(7)
        ]  # fmt: skip
        for tenant in ("acme", "globex"):  # pushed graphs without calls: seven unrelated services, seven incidents
            services = [{"name": f"svc{n}", "hosts": []} for n in range(7)]
            assert client.put("/api/topology", json={"tenant": tenant, "services": services}).status_code == 200
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


def test_since_out_of_range_or_without_a_zone_is_422_naming_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        for since in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "2026-05-01T12:00:00"):
            response = client.get("/api/incidents", params={"since": since})
            assert response.status_code == 422, since
            assert response.json()["detail"][0]["loc"] == ["query", "since"]
        assert client.get("/api/incidents", params={"since": "9999-12-31T23:59:00Z"}).json() == []


def topology(tenant: str, services: int, *, star: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": tenant,
        "services": [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(services)],
        "dependencies": [["s0", f"s{i}"] for i in range(1, services)] if star else [],
    }
    return body


def test_a_tenant_name_is_one_pattern_everywhere(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.put("/api/topology", json=topology("a/b", 2)).status_code == 422
        assert client.put("/api/topology", json=topology("../x", 2)).status_code == 422
        assert client.get("/api/incidents", params={"tenant": "a/b"}).status_code == 422
        assert client.get("/api/topology/a b").status_code == 422
        assert client.put("/api/topology", json=topology("acme-eu.1", 2)).status_code == 200
        assert client.get("/api/topology/acme-eu.1").status_code == 200

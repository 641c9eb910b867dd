"""Incidents over HTTP: listing with filters and cursor pagination, detail, acknowledge and resolve."""

from __future__ import annotations

from pathlib import Path

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

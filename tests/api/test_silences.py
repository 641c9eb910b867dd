"""`/api/silences` through the app: create, list, expire, and 422s that name the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from data.timeutil import iso_z, utc_now
from tests.conftest import make_settings


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tenant": "acme",
        "matchers": [{"name": "host", "op": "=~", "value": "db-.*"}],
        "endsAt": iso_z(utc_now() + timedelta(hours=2)),
        "comment": "patch window",
        "createdBy": "user:alice",
    }
    values.update(overrides)
    return values


def test_create_list_expire(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        created = client.post("/api/silences", json=body())
        assert created.status_code == 201
        silence = created.json()
        assert silence["status"] == {"state": "active"} and silence["id"].startswith("SIL-")
        store = client.app.state.silences  # type: ignore[attr-defined]
        assert store.is_silenced("acme", {"host": "db-7"}, utc_now())
        assert [s["id"] for s in client.get("/api/silences", params={"state": "current"}).json()] == [silence["id"]]
        gone = client.delete(f"/api/silences/{silence['id']}", params={"actor": "user:bob", "reason": "done"})
        assert gone.status_code == 200 and gone.json()["status"]["state"] == "expired"
        assert not store.is_silenced("acme", {"host": "db-7"}, utc_now())
        assert client.get("/api/silences", params={"state": "current"}).json() == []
        assert client.get(f"/api/silences/{silence['id']}").json()["endsAt"] == gone.json()["endsAt"]
        assert client.delete(f"/api/silences/{silence['id']}").status_code == 409
        assert client.delete("/api/silences/SIL-none").status_code == 404
        actions = [r["action"] for r in client.get("/api/audit-logs").json()]
        assert actions == ["silence.expire", "silence.create"]


def test_bad_input_is_422_naming_the_field(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        bad_regex = client.post("/api/silences", json=body(matchers=[{"name": "host", "op": "=~", "value": "(db"}]))
        assert bad_regex.status_code == 422 and bad_regex.json()["detail"].startswith("matchers[0].value:")
        long = client.post("/api/silences", json=body(matchers=[{"name": "h", "op": "=~", "value": "a" * 2000}]))
        assert long.status_code == 422 and long.json()["detail"][0]["loc"] == ["body", "matchers", 0, "value"]
        op = client.post("/api/silences", json=body(matchers=[{"name": "h", "op": "~=", "value": "a"}]))
        assert op.json()["detail"][0]["loc"] == ["body", "matchers", 0, "op"]
        past = client.post("/api/silences", json=body(endsAt="2001-01-01T00:00:00Z"))
        assert past.status_code == 422 and past.json()["detail"].startswith("endsAt:")
        naive = client.post("/api/silences", json=body(endsAt="2999-01-01T00:00:00"))
        assert naive.status_code == 422 and naive.json()["detail"][0]["loc"] == ["body", "endsAt"]
        everything = client.post("/api/silences", json=body(matchers=[{"name": "host", "op": "=~", "value": ".*"}]))
        assert everything.status_code == 422 and everything.json()["detail"].startswith("matchers:")
        assert client.get("/api/silences").json() == []

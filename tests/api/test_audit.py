"""`/api/audit-logs` and its verification through the app: fields kept, filters, paging, tamper detection."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings

SEED_FIELDS = {"id", "agent", "action", "target", "status", "time", "reason", "incident_id"}


def test_rows_keep_the_seed_fields_and_add_the_chain(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        client.put("/api/kill-switch", json={"active": True, "reason": "freeze", "actor": "user:carol"})
        client.put("/api/kill-switch", json={"active": False, "reason": "thaw", "actor": "user:dave"})
        rows = client.get("/api/audit-logs").json()
        assert set(rows[0]) >= SEED_FIELDS
        assert [r["action"] for r in rows] == ["kill_switch.deactivate", "kill_switch.activate"]
        assert rows[0]["prev_hash"] == rows[1]["hash"] and rows[0]["seq"] == 2
        assert rows[0]["actor_kind"] == "user" and rows[0]["status"] == "completed"
        assert client.get("/api/audit-logs/verify").json() == {
            "ok": True, "entries": 2, "firstBroken": None, "unchained": 0
        }  # fmt: skip


def test_filters_and_the_next_cursor_header(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        for n in range(5):
            client.put("/api/kill-switch", json={"active": n % 2 == 0, "reason": f"r{n}", "actor": f"user:u{n % 2}"})
        first = client.get("/api/audit-logs", params={"limit": 2})
        cursor = first.headers["X-Next-Cursor"]
        second = client.get("/api/audit-logs", params={"limit": 10, "cursor": cursor})
        assert "X-Next-Cursor" not in second.headers
        assert [r["seq"] for r in first.json() + second.json()] == [5, 4, 3, 2, 1]
        assert {r["agent"] for r in client.get("/api/audit-logs", params={"actor": "user:u1"}).json()} == {"user:u1"}
        assert len(client.get("/api/audit-logs", params={"action": "kill_switch.activate"}).json()) == 3
        assert client.get("/api/audit-logs", params={"since": "2999-01-01T00:00:00Z"}).json() == []
        naive = client.get("/api/audit-logs", params={"since": "2026-01-01T00:00:00"})
        assert naive.status_code == 422 and "since" in naive.text
        bad = client.get("/api/audit-logs", params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_verify_names_an_entry_edited_in_the_sqlite_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        for n in range(3):
            client.put("/api/kill-switch", json={"active": n % 2 == 0, "reason": f"r{n}", "actor": "user:a"})
        target = client.get("/api/audit-logs").json()[1]["id"]
    with sqlite3.connect(settings.KB_PATH) as db:
        (body,) = db.execute("SELECT body FROM docs WHERE collection = 'audit' AND id = ?", (target,)).fetchone()
        db.execute(
            "UPDATE docs SET body = ? WHERE collection = 'audit' AND id = ?",
            (json.dumps({**json.loads(body), "target": "nothing"}), target),
        )
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/audit-logs/verify").json() == {
            "ok": False, "entries": 3, "firstBroken": target, "unchained": 0
        }  # fmt: skip


def test_status_says_what_came_of_the_entry() -> None:
    from datetime import UTC, datetime

    from api.audit import status_of
    from data.models import AuditEntry

    base = AuditEntry(id="AUD-1", time=datetime(2026, 1, 1, tzinfo=UTC), actor="agent:TaskOps", action="a", target="t")
    assert status_of(base) == "completed"
    assert status_of(base.model_copy(update={"details": {"state": "blocked"}})) == "blocked"
    assert status_of(base.model_copy(update={"decision": "allowed", "details": {"state": "running"}})) == "allowed"
    assert status_of(base.model_copy(update={"decision": "allowed", "result": "failed"})) == "failed"

"""Agent status and the audit trail, through the app."""

from __future__ import annotations

from pathlib import Path

from backend_api import create_app
from tests.conftest import api_client, make_settings


def test_agents_and_audit_logs(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        agents = client.get("/api/agents").json()
        assert agents[0]["name"] == "AlertOps" and agents[0]["actions"] == 0 and agents[0]["lastAction"] == "N/A"
        client.post(
            "/api/alerts", json=[{"labels": {"alertname": "X", "tenant": "t"}, "startsAt": "2026-05-01T12:00:00Z"}]
        )
        assert client.get("/api/agents").json()[0]["actions"] == 1
        client.put("/api/kill-switch", json={"active": True, "reason": "freeze", "actor": "carol"})
        rows = client.get("/api/audit-logs").json()
        assert rows[0]["agent"] == "admin" and rows[0]["action"] == "kill_switch.activate"


def test_agents_report_their_state_and_autonomy(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        before = {a["name"]: a["status"] for a in client.get("/api/agents").json()}
        assert before["Orchestrator"] == "idle"  # running with nothing in flight
        client.put("/api/kill-switch", json={"active": True, "reason": "freeze"})
        agents = client.get("/api/agents").json()
        assert [a["name"] for a in agents] == ["AlertOps", "PredictiveOps", "PatchOps", "TaskOps", "Orchestrator"]
        assert list(agents[0]) == ["name", "status", "actions", "lastAction", "lastActionTime", "autonomous"]
        # the first two do not act on the fleet, so the kill switch does not pause them; TaskOps does
        states = {a["name"]: (a["status"], a["autonomous"]) for a in agents}
        assert states == {
            "AlertOps": ("active", False), "PredictiveOps": ("active", False), "TaskOps": ("paused", True),
            "PatchOps": ("paused", True), "Orchestrator": ("paused", True),
        }  # fmt: skip

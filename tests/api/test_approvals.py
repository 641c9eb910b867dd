"""`/api/approvals` through the app: the queue, approve/reject with a reason (audited), conflicts, auth."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def waiting_action(client: TestClient, target: str) -> str:
    """Request a high-risk catalogue action as an operator; return its id (it waits for a second person)."""
    body = {"action": "reboot", "target": target, "reason": "kernel update", "actor": "bob"}
    response = client.post("/api/actions", json=body)
    assert response.status_code == 202 and response.json()["state"] == "awaiting_approval"
    return str(response.json()["id"])


def test_queue_approve_reject_and_conflicts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, AUTONOMY_ENABLED=False, SCHEDULED_TASKS_ENABLED=False, EXEC_RETRY_BACKOFF_S=0)
    with TestClient(create_app(settings)) as client:
        client.app.state.simulation.world.step(START)  # type: ignore[attr-defined]
        first, second = waiting_action(client, "acme-web-01"), waiting_action(client, "acme-web-02")
        queue = client.get("/api/approvals", params={"state": "pending"}).json()
        assert {a["action_id"] for a in queue} == {first, second}
        assert {a["requested_by"] for a in queue} == {"user:bob"}
        own = client.post(f"/api/approvals/APR-{first}/approve", json={"reason": "mine", "actor": "bob"})
        assert own.status_code == 409 and "different person" in own.json()["detail"]  # the Executor's four eyes
        ok = client.post(f"/api/approvals/APR-{first}/approve", json={"reason": "window agreed", "actor": "al"})
        assert ok.status_code == 200 and ok.json()["state"] == "approved" and ok.json()["decided_by"] == "user:al"
        assert client.get(f"/api/actions/{first}").json()["approved_by"] == "user:al"
        again = client.post(f"/api/approvals/APR-{first}/reject", json={"reason": "no", "actor": "bo"})
        assert again.status_code == 409
        no = client.post(f"/api/approvals/APR-{second}/reject", json={"reason": "not now", "actor": "bo"})
        assert no.json()["state"] == "rejected"
        assert client.get(f"/api/actions/{second}").json()["state"] == "rejected"
        assert client.get("/api/approvals", params={"state": "pending"}).json() == []
        assert client.get(f"/api/approvals/APR-{first}").json()["reason"] == "window agreed"
        assert client.post("/api/approvals/APR-x/approve", json={"reason": "x"}).status_code == 404
        missing = client.post(f"/api/approvals/APR-{first}/approve", json={})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
        assert client.get("/api/approvals", params={"state": "maybe"}).status_code == 422
        actions = [r["action"] for r in client.get("/api/audit-logs", params={"limit": 200}).json()]
        assert "approval.rejected" in actions and "approval.approved" in actions


def test_deciding_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret"))) as client:
        approval = client.app.state.approvals.request("ACT-1", "x")  # type: ignore[attr-defined]
        url = f"/api/approvals/{approval.id}/approve"
        assert client.post(url, json={"reason": "x"}).status_code == 401
        authorised = client.post(url, json={"reason": "x"}, headers={"Authorization": "Bearer s3cret"})
        assert authorised.status_code == 404  # past the token; the approval has no action behind it

"""`/api/approvals` through the app: the queue, approve/reject with a reason (audited), conflicts, auth."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings


def test_queue_approve_reject_and_conflicts(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        approvals = client.app.state.approvals  # type: ignore[attr-defined]
        first = approvals.request("ACT-1", "reboot db-1", requested_by="agent:TaskOps", risk="HIGH")
        second = approvals.request("ACT-2", "failover db")
        queue = client.get("/api/approvals", params={"state": "pending"}).json()
        assert [a["id"] for a in queue] == [second.id, first.id] and queue[1]["risk"] == "HIGH"
        ok = client.post(f"/api/approvals/{first.id}/approve", json={"reason": "window agreed", "actor": "user:al"})
        assert ok.status_code == 200 and ok.json()["state"] == "approved" and ok.json()["decided_by"] == "user:al"
        again = client.post(f"/api/approvals/{first.id}/reject", json={"reason": "no", "actor": "user:bo"})
        assert again.status_code == 409
        no = client.post(f"/api/approvals/{second.id}/reject", json={"reason": "not now", "actor": "user:bo"})
        assert no.json()["state"] == "rejected"
        assert client.get("/api/approvals", params={"state": "pending"}).json() == []
        assert client.get(f"/api/approvals/{first.id}").json()["reason"] == "window agreed"
        assert client.post("/api/approvals/APR-x/approve", json={"reason": "x"}).status_code == 404
        missing = client.post(f"/api/approvals/{first.id}/approve", json={})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
        assert client.get("/api/approvals", params={"state": "maybe"}).status_code == 422
        actions = [r["action"] for r in client.get("/api/audit-logs").json()]
        assert actions[:2] == ["approval.rejected", "approval.approved"]


def test_deciding_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret"))) as client:
        approval = client.app.state.approvals.request("ACT-1", "x")  # type: ignore[attr-defined]
        url = f"/api/approvals/{approval.id}/approve"
        assert client.post(url, json={"reason": "x"}).status_code == 401
        assert client.post(url, json={"reason": "x"}, headers={"Authorization": "Bearer s3cret"}).status_code == 200

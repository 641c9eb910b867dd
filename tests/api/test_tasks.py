"""TaskOps through the app: the catalogue, the scheduled tasks and proposals for an incident or a risk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend_api import create_app
from config.knowledge_base import KnowledgeBase
from data.models import Alert, AlertState, Incident, Risk
from tests.conftest import make_settings

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, AUTONOMY_ENABLED=False))) as test_client:
        yield test_client


def test_catalogue_and_scheduled_tasks(client: TestClient) -> None:
    catalogue = {entry["id"]: entry for entry in client.get("/api/tasks/catalogue").json()}
    assert catalogue["apply_patch"]["rollback"] == "rollback_patch"
    assert catalogue["reboot"]["risk"] == "HIGH" and catalogue["clear_cache"]["roles"] == ["cache"]
    assert catalogue["scale_out"]["params_schema"]["properties"]["replicas"]["maximum"] == 10
    assert catalogue["cleanup_disk"]["verification"] == ["disk < 80"]
    scheduled = {task["name"]: task for task in client.get("/api/tasks/scheduled").json()}
    assert scheduled["nightly-backup"]["cron"] == "0 2 * * *" and scheduled["nightly-backup"]["last_run"] is None
    assert scheduled["certificate-renewal"]["condition"] == "cert_days < 21"
    assert scheduled["log-cleanup"]["next_run"].endswith("Z")


def test_proposals_for_an_incident_and_a_risk(client: TestClient) -> None:
    kb: KnowledgeBase = client.app.state.kb  # type: ignore[attr-defined]
    host = "acme-cache-01"
    kb.save_incidents([Incident(id="INC-7", title="cache", rootCauseHost=host, createdAt=T0, updatedAt=T0)])
    labels = {"alertname": "CacheHitRatioLow", "instance": host, "severity": "high"}
    kb.save_alerts(
        [
            Alert(
                fingerprint="f1", incident_id="INC-7", labels=labels, status=AlertState.FIRING, startsAt=T0, lastSeen=T0
            )
        ]
    )
    [proposal] = client.get("/api/tasks/proposals", params={"incident_id": "INC-7"}).json()
    assert proposal["action"] == "clear_cache" and proposal["target"] == host and proposal["risk"] == "LOW"
    assert proposal["evidence"] == [f"CacheHitRatioLow on {host}"] and proposal["confidence"] == 0.85
    kb.save_risk(
        Risk(
            id="RISK-1", host="acme-web-01", metric="disk", threshold=95, eta=T0 + timedelta(hours=2),
            probability=0.7, recommended_action="clean", created_at=T0,
        )
    )  # fmt: skip
    risk = client.get("/api/tasks/proposals", params={"risk_id": "RISK-1"}).json()
    assert [p["action"] for p in risk] == ["cleanup_disk", "expand_disk"]
    assert client.get("/api/tasks/proposals", params={"incident_id": "INC-404"}).status_code == 404
    assert client.get("/api/tasks/proposals").status_code == 422

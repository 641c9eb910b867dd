"""GET /api/learning and the incident page's orchestration fields, through the app on a real SQLite file:
statistics are rebuilt from stored outcomes after a restart; mttrReduction needs a same-signature baseline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from agents.orchestrator import Tracked
from backend_api import create_app
from config.bedrock_client import Narrative
from data.models import OutcomeRecord
from tests.conftest import api_client, make_settings

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def outcome(n: int, actions: list[str], verified: bool | None, ttr: float) -> OutcomeRecord:
    return OutcomeRecord(
        incident_id=f"INC-{n}", status="resolved", actions=actions, verified=verified, success=verified,
        signature="DiskFull", time_to_resolve_s=ttr, timestamp=T0.replace(minute=n),
    )  # fmt: skip


def test_learning_statistics_survive_a_restart_and_mttr_reduction_has_a_baseline(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with api_client(create_app(settings)) as client:
        body = client.get("/api/learning").json()
        assert body["enabled"] is True and body["statistics"] == []
        assert body["selector"]["threshold"] == 70.0 and body["selector"]["adaptive"] is False
        assert client.get("/api/metrics").json()["mttrReduction"] is None  # no baseline yet
        kb = client.app.state.kb  # type: ignore[attr-defined]
        kb.record_outcome(outcome(1, ["cleanup_disk"], True, 600))
        kb.record_outcome(outcome(2, ["cleanup_disk"], False, 0))
        kb.record_outcome(outcome(3, [], None, 2400))  # the same kind of incident, nothing acted on
    with api_client(create_app(settings)) as client:
        [arm] = client.get("/api/learning").json()["statistics"]
        assert arm == {
            "signature": "DiskFull", "action": "cleanup_disk", "successes": 1, "failures": 1, "tries": 2,
            "success_rate": 0.5, "mean_resolve_s": 600.0,
        }  # fmt: skip
        assert client.get("/api/metrics").json()["mttrReduction"] == 75.0  # 600 s against 2400 s


def test_the_incident_page_explains_the_orchestrators_work(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        client.post(
            "/api/alerts", json=[{"labels": {"alertname": "DiskFull", "tenant": "t"}, "startsAt": T0.isoformat()}]
        )
        [row] = client.get("/api/incidents").json()
        incident_id = row["id"]
        detail = client.get(f"/api/incidents/{incident_id}").json()
        assert detail["orchestration"] is None and detail["timeline"]  # old fields kept
        orchestrator = client.app.state.orchestrator  # type: ignore[attr-defined]
        tracked = Tracked(
            incident_id=incident_id, signature="DiskFull", scores={"AlertOps": 100.0, "TaskOps": 86.0},
            reasons={"AlertOps": "owns the incident's alerts", "TaskOps": "a catalogue remedy is proposed"},
            threshold=70.0, adaptive=False, selected=("AlertOps", "TaskOps"), risk_on_root=False, recent_patch=False,
            offers=[{"action": "cleanup_disk", "target": "h1", "expected_benefit": 0.8}],
            choice={"action": "cleanup_disk", "draws": {"cleanup_disk": 0.8}, "learned": False},
        )  # fmt: skip
        orchestrator.decisions.save(tracked)
        orchestrator.decisions.set_narrative(incident_id, Narrative("Disk filled.", "Logs.", "template"))
        client.app.state.kb.record_outcome(outcome(9, ["cleanup_disk"], True, 300))  # type: ignore[attr-defined]
        shown = client.get(f"/api/incidents/{incident_id}").json()["orchestration"]
        assert shown["selection"]["scores"]["TaskOps"] == 86.0 and shown["selection"]["selected"] == [
            "AlertOps",
            "TaskOps",
        ]
        assert shown["proposals"][0]["action"] == "cleanup_disk" and shown["decision"]["learned"] is False
        assert shown["narrative"] == {
            "summary": "Disk filled.",
            "root_cause": "Logs.",
            "source": "template",
            "fallback_reason": None,
        }
        assert [(s["incident_id"], s["action"]) for s in shown["similar"]] == [("INC-9", "cleanup_disk")]

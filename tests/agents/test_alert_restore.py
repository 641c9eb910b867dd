"""Restart recovery: a new engine on the same SQLite file takes back the unresolved incidents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from agents.alert_ops import AlertOps, LifecyclePolicy
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from data.models import AlertIn, AlertState, IncidentStatus
from tests.agents.builders import T0, topology


def alert(name: str, service: str, host: str, minutes: float, **extra: Any) -> AlertIn:
    labels = {"alertname": name, "severity": "critical", "instance": f"{host}:9100", "tenant": "acme",
              "service": service}  # fmt: skip
    return AlertIn(labels=labels, startsAt=T0 + timedelta(minutes=minutes), **extra)


def engine(path: Path) -> AlertOps:
    return AlertOps(KnowledgeBase(SqliteDocumentStore(path)), policy=LifecyclePolicy(quiet_period=timedelta(minutes=5)))


def test_a_restarted_engine_continues_the_open_incidents(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    before = engine(path)
    before.set_topology(topology())
    before.ingest([alert("DbDown", "db", "db-1", 0), alert("ApiErrors", "api", "api-1", 1)])
    before.ingest([alert("MailQueue", "mail", "mail-1", 2)])
    resolved_id = before.kb.list_incidents(status="open").items[0].id  # the newest: the unrelated mail incident
    before.resolve(resolved_id, reason="not ours", actor="alice")
    (cascade,) = before.kb.list_incidents(status="open").items
    before.kb.close()

    after = engine(path)
    repeat = after.ingest([alert("DbDown", "db", "db-1", 0)])  # a sender re-sends a firing alert
    assert repeat.new_alerts == 0 and repeat.incidents_opened == 0
    assert after.ingest([alert("WebLatency", "web", "web-1", 4)]).incidents_opened == 0  # joins the cascade
    stored = after.kb.get_incident(cascade.id)
    assert stored is not None and len(stored.alert_fingerprints) == 3
    assert stored.timeline[0].event == cascade.timeline[0].event  # the history is kept, not rewritten
    counts = {a.labels["alertname"]: a.count for a in after.kb.list_alerts().items}
    assert counts["DbDown"] == 2 and counts["ApiErrors"] == 1
    assert after.kb.get_incident(resolved_id).status is IncidentStatus.RESOLVED  # type: ignore[union-attr]

    ended = [alert(n, s, h, m, status="resolved", endsAt=T0 + timedelta(minutes=10))
             for n, s, h, m in (("DbDown", "db", "db-1", 0), ("ApiErrors", "api", "api-1", 1),
                                ("WebLatency", "web", "web-1", 4))]  # fmt: skip
    after.ingest(ended)
    after.advance_to(T0 + timedelta(minutes=20))
    final = after.kb.get_incident(cascade.id)
    assert final is not None and final.status is IncidentStatus.RESOLVED  # the lifecycle resolved it
    assert all(a.status is AlertState.RESOLVED for a in after.kb.list_alerts(incident_id=cascade.id).items)


def test_operators_can_act_on_incidents_opened_before_the_restart(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    before = engine(path)
    before.ingest([alert("DbDown", "db", "db-1", 0)])
    (incident,) = before.kb.list_incidents().items
    before.kb.close()
    after = engine(path)
    assert after.acknowledge(incident.id, reason="on it", actor="bob").status is IncidentStatus.ACKNOWLEDGED
    assert after.resolve(incident.id, reason="fixed", actor="bob").status is IncidentStatus.RESOLVED
    after.kb.close()
    assert engine(path).hot_incident_count() == 0  # resolved incidents are not taken back

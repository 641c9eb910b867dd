"""Restart recovery: a new engine on the same SQLite file takes back the unresolved incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.alert_ops.dedup import fingerprint_of
from agents.alert_ops.engine import AlertOps, LifecyclePolicy
from agents.alert_ops.topology import TopologyLimits
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


def cascades(count: int) -> list[AlertIn]:
    """``count`` slow db -> api -> web cascades an hour apart, each resolved before the next and each a distinct
    set of alerts (a ``run`` label), so every learner has something to learn."""
    stream: list[AlertIn] = []
    for n in range(count):
        start = 60.0 * n
        firing = [
            alert("DbDown", "db", "db-1", start),
            alert("ApiErrors", "api", "api-1", start + 6),
            alert("WebLatency", "web", "web-1", start + 13),
            alert("CacheDown", "cache", "cache-1", start + 30),
        ]
        firing = [a.model_copy(update={"labels": {**a.labels, "run": str(n)}}) for a in firing]
        stream += firing
        stream += [a.model_copy(update={"status": AlertState.RESOLVED, "endsAt": T0 + timedelta(minutes=start + 40)})
                   for a in firing]  # fmt: skip
    return stream


def test_what_correlation_learned_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    before = engine(path)
    before.set_topology(topology())
    for delivered in cascades(30):
        before.ingest([delivered])
    learned = before._scorer.learned_state()
    assert learned["hop_delays"]["acme"][0] > 30 + 3 and learned["roles"] and learned["cooccurrence"]["pairs"]
    before.close()
    after = engine(path)
    assert after._scorer.learned_state() == learned
    assert after._scorer.delays.scale("acme") == before._scorer.delays.scale("acme")
    fresh = engine(tmp_path / "other.sqlite3")
    assert fresh._scorer.learned_state() != learned


@pytest.mark.parametrize(
    "record",
    [
        {"hop_delays": {"acme": [3, -1.0, 5.0]}, "host_spread": {}},  # out of range, and parts missing
        {"hop_delays": [], "host_spread": {}, "cooccurrence": {}, "roles": {}},  # a part of the wrong type
    ],
)
def test_a_malformed_learned_record_is_ignored_and_learning_starts_afresh(tmp_path: Path, record: Any) -> None:
    path = tmp_path / "kb.sqlite3"
    first = engine(path)
    first.set_topology(topology())
    first.kb.put_setting("alertops:learned", record)
    restarted = engine(path)
    assert restarted._scorer.learned_state() == engine(tmp_path / "other.sqlite3")._scorer.learned_state()
    restarted.ingest([alert("DbDown", "db", "db-1", 0)])
    assert len(restarted.kb.list_incidents().items) == 1


class FullSettingsKnowledgeBase(KnowledgeBase):
    """A store that refuses the learned statistics, as DynamoDB refuses an item over 400 KB."""

    def put_setting(self, key: str, value: dict[str, Any]) -> None:
        if key == "alertops:learned":
            raise ValueError("item too large")
        super().put_setting(key, value)


def test_a_store_refusing_the_learned_statistics_does_not_stop_the_engine(tmp_path: Path) -> None:
    ops = AlertOps(FullSettingsKnowledgeBase(SqliteDocumentStore(tmp_path / "kb.sqlite3")))
    ops.set_topology(topology())
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.close()
    ops.ingest([alert("ApiErrors", "api", "api-1", 1)])
    assert len(ops.kb.list_incidents().items) == 1


def test_a_stored_record_that_cannot_be_loaded_is_set_aside_and_the_engine_starts(tmp_path: Path) -> None:
    """Stored before event times were bounded: an alert from 9999 (its incident open), and a topology over
    today's limits. Neither may stop a restart; both are reported and stay stored."""
    path = tmp_path / "kb.sqlite3"
    before = engine(path)
    before.set_topology(topology())
    before.ingest([alert("DbDown", "db", "db-1", 0)])
    before.ingest([alert("MailQueue", "mail", "mail-1", 120)])
    mail, db = before.kb.list_incidents(status="open").items  # newest first
    (stored,) = before.kb.list_alerts(incident_id=mail.id).items
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    before.kb.save_alerts([stored.model_copy(update={"startsAt": far, "lastSeen": far})])
    services = [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(TopologyLimits().max_services + 1)]
    before.kb.put_setting("topology:huge", {"tenant": "huge", "services": services, "dependencies": []})
    before.kb.put_setting("topology", {"tenants": ["acme", "huge"]})
    before.kb.close()

    after = engine(path)
    assert sorted(after.quarantined()) == [f"incident:{mail.id}", "topology:huge"]
    assert after.topology.get("acme") is not None
    assert after.ingest([alert("ApiErrors", "api", "api-1", 1)]).incidents_opened == 0  # joins the restored db one
    assert after.incident_of(fingerprint_of(alert("ApiErrors", "api", "api-1", 1)), "acme") == db.id
    assert after.kb.get_incident(mail.id) is not None  # set aside, not deleted

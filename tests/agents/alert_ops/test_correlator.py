"""Join decisions of agents/alert_correlation.py: an alertname's learned role next to the link score."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from agents.alert_ops.dedup import fingerprint_of
from agents.alert_ops.engine import AlertOps
from config.knowledge_base import MemoryKnowledgeBase
from data.models import AlertIn
from tests.agents.builders import T0, topology


def alert(name: str, service: str, host: str, minutes: float) -> AlertIn:
    labels = {"alertname": name, "severity": "critical", "instance": f"{host}:9100", "tenant": "acme",
              "service": service}  # fmt: skip
    return AlertIn(labels=labels, startsAt=T0 + timedelta(minutes=minutes))


def engine_that_saw_service_down_open_incidents() -> AlertOps:
    """An engine where ServiceDown opened three incidents (on three hosts of the unrelated mail service, hours
    apart)."""
    ops = AlertOps(MemoryKnowledgeBase())
    ops.set_topology(topology())
    for i, hours in enumerate((0, 2, 4)):
        ops.ingest([alert("ServiceDown", "mail", f"mail-{i}", 60 * hours)])
    return ops


def incident_of(ops: AlertOps, sent: AlertIn) -> str | None:
    return ops.incident_of(fingerprint_of(sent))


START = 6 * 60  # minutes after T0: two hours after the last ServiceDown opening


def after_a_database_fault(*then: AlertIn) -> tuple[AlertOps, str | None]:
    """Return an engine that saw ServiceDown open incidents, then DatabaseUnresponsive on db at `START` and the
    alerts ``then``, one batch each, with the id of the database alert's incident."""
    ops = engine_that_saw_service_down_open_incidents()
    ops.ingest([alert("DatabaseUnresponsive", "db", "db-1", START)])
    for later in then:
        ops.ingest([later])
    return ops, incident_of(ops, alert("DatabaseUnresponsive", "db", "db-1", START))


# UpstreamTimeout was never seen opening an incident.
@pytest.mark.parametrize(("name", "joins"), [("ServiceDown", False), ("UpstreamTimeout", True)])
def test_a_name_that_opens_incidents_on_a_caller_minutes_later_is_a_new_fault(name: str, joins: bool) -> None:
    caller = alert(name, "api", "api-1", START + 2)  # api calls db: by topology and time a symptom
    ops, db = after_a_database_fault(caller)
    assert (incident_of(ops, caller) == db) is joins


def test_a_name_that_opens_incidents_still_joins_on_a_strong_link() -> None:
    same_host = alert("ServiceDown", "db", "db-1", START + 0.25)  # the same host seconds later: one fault
    ops, db = after_a_database_fault(same_host)
    assert incident_of(ops, same_host) == db


def test_a_link_kept_out_by_the_role_still_counts_as_a_join_for_learning() -> None:
    ops, _ = after_a_database_fault(alert("ServiceDown", "api", "api-1", START + 2))
    # Three openings, then a link that passed the threshold: learning must not count the role's own refusal as an
    # opening, or the name would keep itself out ever more strongly.
    assert ops._scorer.roles.join_odds("ServiceDown") == (1 + 1) / (3 + 1)


# CacheDown was never seen opening an incident.
@pytest.mark.parametrize(("name", "merged"), [("ServiceDown", False), ("CacheDown", True)])
def test_a_bridge_does_not_merge_in_an_incident_opened_by_a_name_that_usually_opens_incidents(
    name: str, merged: bool
) -> None:
    cache = alert(name, "cache", "cache-1", START + 0.5)  # unrelated to db: an incident of its own
    ops, db = after_a_database_fault(cache, alert("ApiErrors", "api", "api-1", START + 0.5))  # api calls both
    assert (incident_of(ops, cache) == db) is merged


def opening(ops: AlertOps, sent: AlertIn) -> tuple[str, dict[str, Any]]:
    """Return the incident ``sent`` is in and the why-trace decision that opened it."""
    incident = ops.kb.get_incident(incident_of(ops, sent) or "")
    assert incident is not None
    return incident.id, next(d for d in incident.why_trace if d["decision"] == "opened")


def test_an_incident_opened_because_of_the_role_says_so_in_its_why_trace() -> None:
    caller = alert("ServiceDown", "api", "api-1", START + 2)  # a passing link the role keeps out
    ops, db = after_a_database_fault(caller)
    api, opened = opening(ops, caller)
    assert api != db
    assert opened["nearest_incident"] == db
    assert opened["join_odds"] == 0.25  # (0 joined + 1) / (3 opened + 1)
    assert opened["score"] >= ops.weights.threshold
    assert "usually opens incidents" in opened["why"]


def test_an_incident_opened_without_any_passing_link_says_so() -> None:
    ops = engine_that_saw_service_down_open_incidents()
    _, opened = opening(ops, alert("ServiceDown", "mail", "mail-0", 0))
    assert opened["why"] == "no open incident of this tenant scored above the threshold"
    assert "nearest_incident" not in opened


def test_an_incident_opened_under_the_threshold_names_its_closest_link() -> None:
    late = alert("ApiErrors", "api", "api-1", START + 40)  # a caller of db, long after the database fault
    ops, db = after_a_database_fault(late)
    api, opened = opening(ops, late)
    assert api != db
    assert opened["nearest_incident"] == db
    assert 0 < opened["score"] < ops.weights.threshold
    assert opened["via"] in opened["why"] and "under the threshold" in opened["why"]


# A host going down is not a symptom that travels along calls: it keeps the plain threshold, however it learned.
@pytest.mark.parametrize(
    ("name", "learned_to_join", "joins"),
    [("UpstreamTimeout", False, False), ("UpstreamTimeout", True, True), ("InstanceDown", True, False)],
)
def test_a_name_that_usually_joins_may_join_on_a_link_under_the_threshold(
    name: str, learned_to_join: bool, joins: bool
) -> None:
    ops = engine_that_saw_service_down_open_incidents()
    if learned_to_join:  # three earlier database faults, each reaching api at once
        for i in range(3):
            ops.ingest([alert("DatabaseUnresponsive", "db", "db-1", START - 300 + 60 * i)])
            ops.ingest([alert(name, "api", f"api-{i + 2}", START - 300 + 60 * i + 1)])
        assert ops._scorer.roles.join_odds(name) == ops._scorer.roles.MAX_JOIN_ODDS
    ops.ingest([alert("DatabaseUnresponsive", "db", "db-1", START)])
    late = alert(name, "api", "api-1", START + 8)  # a slow hop: a link under the threshold
    ops.ingest([late])
    db = incident_of(ops, alert("DatabaseUnresponsive", "db", "db-1", START))
    assert (incident_of(ops, late) == db) is joins
    incident = ops.kb.get_incident(incident_of(ops, late) or "")
    assert incident is not None
    decision = next(d for d in incident.why_trace if d["alert"] == fingerprint_of(late))
    assert decision["score"] < ops.weights.threshold
    if joins:
        assert decision["join_odds"] == ops._scorer.roles.MAX_JOIN_ODDS and "usually joins" in decision["why"]

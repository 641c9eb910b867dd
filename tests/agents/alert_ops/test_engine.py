"""AlertOps engine: dedup, flapping, correlation along the call graph, merge, reopen, isolation, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.alert_ops.admission import AlertLimits
from agents.alert_ops.engine import AlertOps, LifecyclePolicy
from config.knowledge_base import MemoryKnowledgeBase
from data.errors import Conflict, InvalidInput, NotFound
from data.labels import label_fingerprint
from data.models import Alert, AlertIn, AlertState, Incident, IncidentStatus, TopologyIn
from tests.agents.builders import T0, topology


def alert(name: str, service: str | None, host: str, minutes: float, tenant: str = "acme", **extra: Any) -> AlertIn:
    labels = {"alertname": name, "severity": extra.pop("severity", "critical"), "instance": f"{host}:9100",
              "tenant": tenant}  # fmt: skip
    if service:
        labels["service"] = service
    return AlertIn(labels=labels, startsAt=T0 + timedelta(minutes=minutes), **extra)


def engine(**policy: Any) -> AlertOps:
    ops = AlertOps(MemoryKnowledgeBase(), policy=LifecyclePolicy(**policy) if policy else None)
    ops.set_topology(topology())
    ops.set_topology(topology("globex"))
    return ops


def test_fingerprint_is_order_independent_and_sender_fingerprint_wins() -> None:
    assert label_fingerprint({"a": "1", "b": "2"}) == label_fingerprint({"b": "2", "a": "1"})
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0, fingerprint="abc123")])
    assert ops.kb.get_alert("abc123", "acme") is not None


def test_repeats_update_count_and_last_seen_without_new_incidents() -> None:
    ops = engine()
    first = alert("DbDown", "db", "db-1", 0)
    ops.ingest([first, first])
    repeat = first.model_copy(update={"endsAt": T0 + timedelta(minutes=5)})
    result = ops.ingest([repeat])
    assert result.new_alerts == 0 and result.incidents_opened == 0
    stored = ops.kb.list_alerts().items
    assert len(stored) == 1 and stored[0].count == 3
    assert stored[0].lastSeen == T0 + timedelta(minutes=5)


def test_cascade_along_calls_is_one_incident_with_the_callee_as_root() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.ingest([alert("ApiErrors", "api", "api-1", 1), alert("WebLatency", "web", "web-1", 3)])
    ops.ingest([alert("HostLoad", None, "web-2", 4, severity="warning")])  # node-level: mapped via its host
    incidents = ops.kb.list_incidents().items
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.rootCauseService == "db" and incident.rootCauseHost == "db-1"
    assert incident.confidence is not None and 0.5 < incident.confidence <= 1.0
    assert len(incident.alert_fingerprints) == 4
    joins = [d for d in incident.why_trace if d["decision"] == "joined"]
    assert len(joins) == 3 and all(d["score"] >= ops.weights.threshold for d in joins)


def test_unrelated_service_and_distant_time_stay_apart() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.ingest([alert("MailQueueStuck", "mail", "mail-1", 1)])  # no dependency path
    ops.ingest([alert("ApiErrors", "api", "api-1", 50)])  # related service, but far later
    assert len(ops.kb.list_incidents().items) == 3


def test_hygiene_alerts_do_not_join_an_outage_on_the_same_host() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.ingest([alert("CertificateExpiringSoon", "db", "db-1", 1, severity="warning")])
    ops.ingest([alert("BackupJobFailed", "db", "db-1", 2, severity="warning")])
    assert len(ops.kb.list_incidents().items) == 3


def test_never_across_tenants() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("DbDown", "db", "db-1", 0, tenant="globex")])
    incidents = ops.kb.list_incidents().items
    assert len(incidents) == 2 and {i.tenant for i in incidents} == {"acme", "globex"}


def test_a_bridging_alert_merges_two_incidents_and_the_timeline_says_so() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.ingest([alert("CacheDown", "cache", "cache-1", 0.5)])
    assert len(ops.kb.list_incidents(status="open").items) == 2
    ops.ingest([alert("ApiErrors", "api", "api-1", 0.5)])  # api calls both db and cache, fails with both
    open_incidents = ops.kb.list_incidents(status="open").items
    assert len(open_incidents) == 1
    survivor = open_incidents[0]
    assert any("Merged" in entry.event for entry in survivor.timeline)
    merged = [i for i in ops.kb.list_incidents().items if i.processingState == "merged"]
    assert len(merged) == 1 and merged[0].status is IncidentStatus.RESOLVED
    assert {a.incident_id for a in ops.kb.list_alerts().items} == {survivor.id}


def test_auto_resolve_after_quiet_period_then_reopen_within_window() -> None:
    ops = engine(quiet_period=timedelta(minutes=10), reopen_window=timedelta(minutes=30))
    down = alert("DbDown", "db", "db-1", 0)
    ops.ingest([down])
    ops.ingest([down.model_copy(update={"status": AlertState.RESOLVED, "endsAt": T0 + timedelta(minutes=2)})])
    ops.advance_to(T0 + timedelta(minutes=5))
    assert ops.kb.list_incidents().items[0].status is IncidentStatus.OPEN
    ops.advance_to(T0 + timedelta(minutes=13))
    incident = ops.kb.list_incidents().items[0]
    assert incident.status is IncidentStatus.RESOLVED and incident.resolvedAt is not None
    ops.ingest([down.model_copy(update={"startsAt": T0 + timedelta(minutes=20)})])
    incidents = ops.kb.list_incidents().items
    assert len(incidents) == 1 and incidents[0].status is IncidentStatus.OPEN
    assert any("Reopened" in entry.event for entry in incidents[0].timeline)


def test_an_acknowledged_incident_of_a_replayed_past_still_resolves_on_event_time() -> None:
    ops = engine(quiet_period=timedelta(minutes=10))
    down = alert("DbDown", "db", "db-1", 0)  # months before the wall clock: a replay
    ops.ingest([down])
    incident_id = ops.kb.list_incidents().items[0].id
    acked = ops.acknowledge(incident_id, reason="looking", actor="alice")
    assert acked.updatedAt > T0 + timedelta(days=1)  # the operator acted now
    ops.ingest([down.model_copy(update={"status": AlertState.RESOLVED, "endsAt": T0 + timedelta(minutes=2)})])
    ops.advance_to(T0 + timedelta(minutes=13))
    incident = ops.kb.get_incident(incident_id)
    assert incident is not None and incident.status is IncidentStatus.RESOLVED
    assert incident.resolvedAt == T0 + timedelta(minutes=13)


def test_an_operator_entry_is_never_stamped_before_the_engines_event_time() -> None:
    ops = engine()
    ahead = datetime.now(UTC) + timedelta(days=2)  # a simulator running ahead of the wall clock
    ops.ingest([alert("DbDown", "db", "db-1", 0).model_copy(update={"startsAt": ahead})])
    incident_id = ops.kb.list_incidents().items[0].id
    acked = ops.acknowledge(incident_id, reason="looking", actor="alice")
    assert [entry.time for entry in acked.timeline] == sorted(entry.time for entry in acked.timeline)
    assert abs(acked.timeline[-1].time - ahead) < timedelta(milliseconds=1)
    audit = ops.kb.list_audit(incident_id=incident_id).items
    assert audit[0].time < ahead  # the audit log keeps when the operator acted


def test_flapping_alert_is_damped() -> None:
    ops = engine()
    base = alert("DbSlow", "db", "db-1", 0)
    stream = []
    for n in range(6):
        start = T0 + timedelta(minutes=2 * n)
        stream.append(base.model_copy(update={"startsAt": start}))
        stream.append(base.model_copy(update={"status": AlertState.RESOLVED, "endsAt": start + timedelta(minutes=1)}))
    ops.ingest(stream)
    incidents = ops.kb.list_incidents().items
    assert len(incidents) == 1
    refires = [e for e in incidents[0].timeline if "fired again" in e.event]
    assert len(refires) < 5  # once flapping is detected, re-fires stop adding timeline noise


def test_refire_soon_after_ending_continues_a_fresh_incident_but_not_an_hours_old_one() -> None:
    def run(onset_minutes: float) -> int:
        ops = engine()
        slow = alert("DbSlow", "db", "db-1", 0)
        repeats = [slow.model_copy(update={"endsAt": T0 + timedelta(minutes=m + 15)}) for m in range(0, 75, 10)]
        stopped = T0 + timedelta(minutes=onset_minutes)
        ops.ingest([slow, *repeats, slow.model_copy(update={"status": AlertState.RESOLVED, "endsAt": stopped})])
        ops.ingest([slow.model_copy(update={"startsAt": stopped + timedelta(minutes=5)})])
        return len(ops.kb.list_incidents().items)

    assert run(20) == 1  # back 5 minutes after ending, 25 minutes into its fault: the same problem
    assert run(75) == 2  # back 5 minutes after ending, but nothing new started in its fault for 80 minutes


def test_refire_soon_after_its_incident_resolved_reopens_it_only_while_its_fault_is_recent() -> None:
    def run(stop_minutes: float) -> tuple[int, bool]:
        ops = engine(quiet_period=timedelta(minutes=10), reopen_window=timedelta(minutes=30))
        slow = alert("DbSlow", "db", "db-1", 0)
        repeats = [slow.model_copy(update={"endsAt": T0 + timedelta(minutes=m + 15)}) for m in range(0, 75, 10)]
        stopped = T0 + timedelta(minutes=stop_minutes)
        ops.ingest([slow, *repeats, slow.model_copy(update={"status": AlertState.RESOLVED, "endsAt": stopped})])
        ops.advance_to(stopped + timedelta(minutes=12))
        assert ops.kb.list_incidents().items[0].status is IncidentStatus.RESOLVED
        ops.ingest([slow.model_copy(update={"startsAt": stopped + timedelta(minutes=15)})])
        incidents = ops.kb.list_incidents().items
        return len(incidents), any("Reopened" in e.event for i in incidents for e in i.timeline)

    assert run(20) == (1, True)  # its fault started 35 minutes before: the same problem back
    assert run(75) == (2, False)  # 90 minutes: a new problem on that service


def test_replaying_the_stream_gives_identical_incidents() -> None:
    stream = [
        alert("DbDown", "db", "db-1", 0),
        alert("ApiErrors", "api", "api-1", 1),
        alert("MailQueueStuck", "mail", "mail-1", 2),
        alert("WebLatency", "web", "web-1", 3),
        alert("DbDown", "db", "db-1", 0, tenant="globex"),
    ]

    def run(batches: list[list[AlertIn]]) -> list[tuple[str, list[str], str | None]]:
        ops = engine()
        for batch in batches:
            ops.ingest(batch)
        return sorted((i.id, sorted(i.alert_fingerprints), i.rootCauseService) for i in ops.kb.list_incidents().items)

    assert run([stream]) == run([[a] for a in stream]) == run([stream[:2], stream[2:]])


def test_operator_acknowledge_and_resolve_are_audited() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    incident_id = ops.kb.list_incidents().items[0].id
    acked = ops.acknowledge(incident_id, reason="looking", actor="alice")
    assert acked.status is IncidentStatus.ACKNOWLEDGED
    resolved = ops.resolve(incident_id, reason="db restarted", actor="alice")
    assert resolved.status is IncidentStatus.RESOLVED
    with pytest.raises(Conflict):
        ops.acknowledge(incident_id, reason="again", actor="bob")
    with pytest.raises(NotFound):
        ops.resolve("INC-missing", reason="x", actor="bob")
    audit = ops.kb.list_audit(incident_id=incident_id).items
    assert [a.action for a in audit] == ["incident.resolved", "incident.acknowledged"]


def test_alerts_reduced_counts_alerts_that_joined() -> None:
    ops = engine()
    assert ops.alerts_reduced() is None
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("ApiErrors", "api", "api-1", 1)])
    ops.ingest([alert("WebLatency", "web", "web-1", 2), alert("MailQueueStuck", "mail", "mail-1", 2)])
    assert ops.alerts_reduced() == 50.0  # 4 distinct alerts, 2 opened incidents


def test_without_topology_a_new_tenant_links_by_time_until_its_services_are_seen_failing_apart() -> None:
    ops = AlertOps(MemoryKnowledgeBase())
    ops.ingest(
        [alert("DbDown", "db", "db-1", 0), alert("DbSlow", "db", "db-1", 1), alert("ApiErrors", "api", "api-1", 1)]
    )
    assert [len(i.alert_fingerprints) for i in ops.kb.list_incidents().items] == [3]  # no evidence yet: time decides
    for hour in (2, 4, 6):  # cache and billing fail on their own, hours apart, again and again
        ops.ingest([alert("CacheDown", "cache", "cache-1", hour * 60)])
        ops.ingest([alert("BillingDown", "billing", "billing-1", hour * 60 + 60)])
    ops.ingest([alert("CacheDown", "cache", "cache-1", 480), alert("BillingDown", "billing", "billing-1", 481)])
    cache = ops.incident_of(label_fingerprint(alert("CacheDown", "cache", "cache-1", 480).labels), "acme")
    billing = ops.incident_of(label_fingerprint(alert("BillingDown", "billing", "billing-1", 481).labels), "acme")
    assert cache is not None and billing is not None and cache != billing


def test_a_pushed_topology_wins_over_learned_edges() -> None:
    ops = AlertOps(MemoryKnowledgeBase())
    for hour in range(4):  # db then api, a minute apart, four times: a learned edge api -> db
        ops.ingest(
            [
                alert("DbDown", "db", "db-1", hour * 120),
                alert("ApiErrors", "api", "api-1", hour * 120 + 1),
            ]
        )
    assert [(e.caller, e.callee) for e in ops.learned_edges("acme")] == [("api", "db")]
    pushed = TopologyIn.model_validate(
        {"tenant": "acme", "services": [{"name": "api", "hosts": ["api-1"]}, {"name": "db", "hosts": ["db-1"]}]}
    )
    ops.set_topology(pushed)  # api and db unrelated in the pushed graph
    ops.ingest([alert("DbDown", "db", "db-1", 600), alert("ApiErrors", "api", "api-1", 601)])
    db = ops.incident_of(label_fingerprint(alert("DbDown", "db", "db-1", 600).labels), "acme")
    api = ops.incident_of(label_fingerprint(alert("ApiErrors", "api", "api-1", 601).labels), "acme")
    assert db != api
    assert ops.learned_edges("acme")[0].count == 5  # still learned and shown, not used


def test_a_decision_on_a_learned_edge_is_audited_and_survives_a_restart() -> None:
    kb = MemoryKnowledgeBase()
    ops = AlertOps(kb)
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("ApiErrors", "api", "api-1", 1)])
    edge = ops.decide_edge("acme", "api", "db", confirmed=False, reason="api never calls db", actor="alice")
    assert edge.decision == "rejected"
    (entry,) = [a for a in kb.list_audit().items if a.action == "topology.edge.rejected"]
    assert (entry.actor, entry.target, entry.reason) == ("alice", "acme:api->db", "api never calls db")
    with pytest.raises(NotFound):
        ops.decide_edge("acme", "api", "nowhere", confirmed=True, reason="x", actor="alice")
    again = AlertOps(kb)  # the learned statistics were never saved: the decision alone is stored
    again.ingest([alert("DbSlow", "db", "db-2", 10), alert("ApiSlow", "api", "api-2", 11)])
    db, api = (
        again.incident_of(label_fingerprint(a.labels), "acme")
        for a in (alert("DbSlow", "db", "db-2", 10), alert("ApiSlow", "api", "api-2", 11))
    )
    assert db is not None and db != api  # a minute apart, yet rejected: never linked
    kb.put_setting("alertops:edge-decisions", {"acme": [["api", "db", "maybe"]]})
    assert "alertops:edge-decisions" in AlertOps(kb).quarantined()


def test_stored_bodies_are_exactly_the_models_json_form() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("CacheDown", "cache", "cache-1", 0.5)])
    ops.ingest([alert("ApiErrors", "api", "api-1", 0.5, annotations={"summary": "api 5xx"})])
    ops.ingest([alert("DbDown", "db", "db-1", 0, status=AlertState.RESOLVED, endsAt=T0 + timedelta(minutes=3))])
    incidents = ops.kb.store.query("incidents", limit=100).items
    alerts = ops.kb.store.query("alerts", limit=100).items
    assert len(incidents) == 2 and len(alerts) == 3
    for body in incidents:
        assert Incident.model_validate(body).model_dump(mode="json") == body
    for body in alerts:
        assert Alert.model_validate(body).model_dump(mode="json") == body


def test_an_old_firing_incident_leaves_the_hot_set_yet_resolves_when_its_alert_does() -> None:
    ops = engine(quiet_period=timedelta(minutes=10))
    down = alert("DbDown", "db", "db-1", 0)
    ops.ingest([down])
    ops.advance_to(T0 + timedelta(hours=2))  # past the correlation horizon, still firing
    assert ops.hot_incident_count() == 0
    assert ops.kb.list_incidents().items[0].status is IncidentStatus.OPEN
    ops.ingest([down.model_copy(update={"status": AlertState.RESOLVED, "endsAt": T0 + timedelta(hours=2)})])
    ops.advance_to(T0 + timedelta(hours=2, minutes=11))
    assert ops.kb.list_incidents().items[0].status is IncidentStatus.RESOLVED


def test_a_firing_alert_never_sent_again_times_out_and_its_incident_resolves() -> None:
    ops = engine(stale_after=timedelta(hours=1), quiet_period=timedelta(minutes=10))
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    for minute in range(1, 241):  # pruning, which times alerts out, runs every 100 sweeps
        ops.advance_to(T0 + timedelta(minutes=minute))
    stored = ops.kb.list_alerts().items[0]
    assert stored.status is AlertState.RESOLVED and stored.endsAt == T0 + timedelta(hours=1)
    assert ops.kb.list_incidents().items[0].status is IncidentStatus.RESOLVED
    assert ops.incident_of(stored.fingerprint) is None  # forgotten by the engine, kept by the store


def test_a_re_sent_firing_alert_keeps_its_newest_ends_at_and_does_not_time_out() -> None:
    ops = engine(quiet_period=timedelta(minutes=10))
    first = alert("DbDown", "db", "db-1", 0)
    for minute in range(0, 241):  # re-sent every minute with endsAt four minutes ahead, as Prometheus does
        ops.ingest([first.model_copy(update={"endsAt": T0 + timedelta(minutes=minute + 4)})])
        ops.advance_to(T0 + timedelta(minutes=minute))
    stored = ops.kb.list_alerts().items[0]
    assert stored.status is AlertState.FIRING and stored.count == 241
    assert ops.kb.list_incidents().items[0].status is IncidentStatus.OPEN
    for minute in range(241, 400):  # the re-sends stop: the alert ends at its last estimate
        ops.advance_to(T0 + timedelta(minutes=minute))
    stored = ops.kb.list_alerts().items[0]
    assert stored.status is AlertState.RESOLVED and stored.endsAt == T0 + timedelta(minutes=244)


def test_a_storm_of_never_resolving_alerts_is_held_to_the_hard_bound() -> None:
    ops = engine(max_tracked_alerts=50)
    for batch in range(4):
        ops.ingest([alert(f"Disk{batch}_{n}", "db", f"db-{n}", batch * 0.1) for n in range(40)])
    assert ops.tracked_alert_count() <= 50
    stored = ops.kb.list_alerts(limit=200).items
    assert len(stored) == 160  # every acknowledged alert is still in the store
    assert sum(a.status is AlertState.RESOLVED for a in stored) >= 110


def test_label_fingerprints_are_stable_across_releases() -> None:
    # Stored alert ids are these hashes: a change would split every known alert in two after an upgrade.
    assert label_fingerprint({"alertname": "DbDown", "instance": "db-1:9100"}) == "76dede1bcb8e7af9"


class CountingKnowledgeBase(MemoryKnowledgeBase):
    """Counts the incident bodies each ingest batch stores."""

    def __init__(self) -> None:
        super().__init__()
        self.incident_writes: list[int] = []

    def save_ingested(self, alerts: Any, incidents: Any) -> None:
        self.incident_writes.append(len(incidents))
        super().save_ingested(alerts, incidents)


def test_an_unchanged_incident_is_not_rewritten_and_the_store_stays_equal_to_the_engine() -> None:
    kb = CountingKnowledgeBase()
    ops = AlertOps(kb)
    ops.set_topology(topology())
    first = alert("DbDown", "db", "db-1", 0)
    ops.ingest([first])
    ops.ingest([first])  # a repeat changes the alert's count, not the incident
    assert kb.incident_writes == [1, 0]
    incident_id = ops.incident_of(label_fingerprint(dict(first.labels)))
    assert incident_id is not None
    ops.acknowledge(incident_id, reason="looking", actor="alice")
    ops.ingest([alert("ApiErrors", "api", "api-1", 1)])
    state = ops.state.incidents[ops.canonical_id(incident_id)]
    stored = kb.get_incident(state.id)
    assert stored is not None and stored.model_dump(mode="json") == state.to_body()


def test_an_alert_seen_before_its_tenants_topology_is_mapped_with_the_new_graph_when_it_fires_again() -> None:
    ops = engine()
    load = alert("HostLoad", None, "app-1", 0, tenant="initech", severity="warning")  # no service label
    ops.ingest([load, load.model_copy(update={"status": AlertState.RESOLVED, "endsAt": T0 + timedelta(minutes=1)})])
    first = ops.kb.list_incidents(tenant="initech").items
    assert len(first) == 1 and first[0].services == []  # no graph yet: the host maps to no service
    services = [{"name": "app", "hosts": ["app-1"]}]
    ops.set_topology(TopologyIn.model_validate({"tenant": "initech", "services": services, "dependencies": []}))
    ops.ingest([load.model_copy(update={"startsAt": T0 + timedelta(hours=6)})])  # long after: correlated afresh
    incidents = {i.id: i for i in ops.kb.list_incidents(tenant="initech").items}
    assert len(incidents) == 2
    assert [i.services for i in incidents.values() if i.id != first[0].id] == [["app"]]


def test_one_tenants_alert_from_far_ahead_moves_no_other_tenants_time() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0, tenant="acme")])
    ops.ingest([alert("DbDown", "db", "db-1", 60 * 24 * 365, tenant="acme")])  # acme's clock a year ahead
    # globex's alert still fires: its endsAt (the sender's time-out estimate) is ahead of globex's time.
    ops.ingest([alert("DbDown", "db", "db-1", 1, tenant="globex", endsAt=T0 + timedelta(minutes=5))])
    (globex,) = ops.kb.list_incidents(tenant="globex").items
    assert globex.status is IncidentStatus.OPEN and globex.resolvedAt is None
    (stored,) = [a for a in ops.kb.list_alerts().items if a.incident_id == globex.id]
    assert stored.status is AlertState.FIRING
    ops.ingest([alert("ApiErrors", "api", "api-1", 2, tenant="globex")])  # joins: globex's figure is not cut off
    reduced = ops.alerts_reduced()
    assert reduced is not None and reduced > 0


def test_a_senders_fingerprint_names_an_alert_within_its_tenant_only() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0, tenant="acme", fingerprint="shared")])
    ops.ingest([alert("MailQueue", "mail", "mail-1", 1, tenant="globex", fingerprint="shared")])
    assert ops.tracked_alert_count() == 2  # globex's alert did not count as a repeat of acme's
    acme, globex = ops.incident_of("shared", "acme"), ops.incident_of("shared", "globex")
    assert acme is not None and globex is not None and acme != globex
    (globex_incident,) = ops.kb.list_incidents(tenant="globex").items
    assert globex_incident.id == globex and "MailQueue" in globex_incident.title


def test_a_batch_over_a_limit_is_refused_whole_naming_the_field() -> None:
    ops = AlertOps(MemoryKnowledgeBase(), limits=AlertLimits(max_label_value_chars=64))
    long = alert("DbDown", "db", "db-1", 1)
    long.labels["detail"] = "x" * 65
    with pytest.raises(InvalidInput) as refused:
        ops.ingest([alert("ApiErrors", "api", "api-1", 0), long])
    assert refused.value.field == "alerts[1].labels.detail"
    assert ops.tracked_alert_count() == 0 and not ops.kb.list_alerts().items  # the first alert was not applied


def test_a_received_alert_too_far_ahead_of_the_receivers_clock_is_refused() -> None:
    ops = engine()
    skew = AlertLimits().max_clock_skew
    ops.ingest([alert("DbDown", "db", "db-1", 4)], received_at=T0)  # within the skew
    with pytest.raises(InvalidInput) as refused:
        ops.ingest([alert("DbDown", "db", "db-2", (skew.total_seconds() + 60) / 60)], received_at=T0)
    assert refused.value.field == "alerts[0].startsAt"
    with pytest.raises(InvalidInput) as refused:
        ops.ingest([alert("DbDown", "db", "db-3", 0, endsAt=T0 + timedelta(days=2))], received_at=T0)
    assert refused.value.field == "alerts[0].endsAt"
    assert ops.tracked_alert_count() == 1


def test_alerts_held_in_memory_are_bounded_by_bytes_too() -> None:
    bound = 40 * 1024
    ops = engine(max_tracked_bytes=bound)
    for i in range(30):  # about 5 KB each
        ops.ingest([alert(f"Disk{i}", "db", f"db-{i}", i, annotations={"description": "d" * 4_000})])
    assert ops.state.tracked_bytes <= bound
    assert 0 < ops.tracked_alert_count() < 30
    held = {r.labels["alertname"] for r in ops.state.records.values()}
    assert "Disk29" in held and "Disk0" not in held  # the least recently seen went first
    assert len(ops.kb.list_alerts(limit=100).items) == 30  # the store keeps every one
    assert ops.state.tracked_bytes == sum(r.size for r in ops.state.records.values())


def test_another_agents_step_joins_the_timeline_and_the_agents_and_survives_a_restart() -> None:
    ops = engine()
    ops.ingest([alert("DiskFull", "api", "h1", 0)])
    [incident] = ops.kb.list_incidents().items
    assert ops.record_step(
        incident.id, "action submitted", agent="Orchestrator", details={"action": "cleanup_disk"},
        processing_state="remediating",
    )  # fmt: skip
    stored = ops.kb.get_incident(incident.id)
    assert stored is not None and stored.agents == ["AlertOps", "Orchestrator"]
    assert stored.processingState == "remediating"
    last = stored.timeline[-1]
    assert (last.event, last.agent, last.details) == ("action submitted", "Orchestrator", {"action": "cleanup_disk"})
    assert not ops.record_step("INC-nope", "x", agent="Orchestrator", details={}, processing_state=None)
    again = AlertOps(ops.kb)
    again.ingest([alert("DiskFull", "api", "h1", 1)])
    restored = again.kb.get_incident(incident.id)
    assert restored is not None and restored.agents == ["AlertOps", "Orchestrator"]


def test_a_learned_callee_starting_well_after_its_caller_is_another_fault() -> None:
    ops = AlertOps(MemoryKnowledgeBase())
    for hour in range(4):  # db first, api a minute later, four times: api calls db
        ops.ingest([alert("DbDown", "db", "db-1", hour * 120), alert("ApiErrors", "api", "api-1", hour * 120 + 1)])
    api_first = [alert("ApiSlow", "api", "api-2", 600), alert("DbSlow", "db", "db-2", 600 + 200 / 60)]
    ops.ingest(api_first)  # db 200 s after api: not the cause of api's alerts
    api, db = (ops.incident_of(label_fingerprint(a.labels), "acme") for a in api_first)
    assert api != db
    db_first = [alert("DbLocks", "db", "db-3", 720), alert("ApiTimeouts", "api", "api-3", 720 + 200 / 60)]
    ops.ingest(db_first)  # api 200 s after db: its symptom, as learned
    db, api = (ops.incident_of(label_fingerprint(a.labels), "acme") for a in db_first)
    assert api == db

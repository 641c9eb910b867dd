"""Correlation: cascade front, onset order along calls, re-fires and lost resolves (agents/correlation.py and the
correlation methods of agents/alert_ops.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from agents.alert_ops.cooccurrence import CooccurrenceStats
from agents.alert_ops.dedup import fingerprint_of
from agents.alert_ops.delays import HopDelays
from agents.alert_ops.engine import AlertOps
from agents.alert_ops.link_score import CorrelationWeights, HopSample, Learned, Scorer, SiteBursts
from agents.alert_ops.signals import HotIncident, Signal
from agents.alert_ops.topology import TenantGraph, TopologyRegistry
from config.knowledge_base import MemoryKnowledgeBase
from data.models import AlertIn, AlertState, IncidentStatus, TopologyIn
from tests.agents.builders import T0, occurrence, topology


def alert(name: str, service: str, host: str, minutes: float, **extra: Any) -> AlertIn:
    labels = {"alertname": name, "severity": extra.pop("severity", "critical"), "instance": f"{host}:9100",
              "tenant": "acme", "service": service}  # fmt: skip
    return AlertIn(labels=labels, startsAt=T0 + timedelta(minutes=minutes), **extra)


def acme_scorer() -> tuple[TenantGraph | None, Scorer]:
    """Return the test tenant's graph and a fresh scorer."""
    registry = TopologyRegistry()
    registry.set_topology(topology())
    return registry.get("acme"), Scorer(CorrelationWeights(), CooccurrenceStats())


def engine() -> AlertOps:
    ops = AlertOps(MemoryKnowledgeBase())
    ops.set_topology(topology())
    return ops


def signal(fingerprint: str, service: str, host: str, minutes: float, name: str = "Errors") -> Signal:
    at = T0 + timedelta(minutes=minutes)
    return occurrence(fingerprint, name, host, (service,), at, stable_labels=frozenset({("service", service)}))


def incident_of(first: Signal) -> HotIncident:
    """Return a hot incident of ``first`` alone."""
    incident = HotIncident(f"INC-{first.fingerprint}", first.tenant, False, first.at, first.at)
    incident.add(first)
    return incident


def test_a_refire_joins_the_members_but_does_not_move_the_cascade_front() -> None:
    first = signal("f1", "db", "db-1", 0)
    incident = incident_of(first)
    incident.add(signal("f1", "db", "db-1", 40))  # the same alert again, 40 minutes later
    assert len(incident.members) == 2
    assert incident.onset_last == first.at
    assert incident.services["db"].last == first.at and not incident.services["db"].recent


def test_a_callee_that_starts_well_after_its_caller_is_another_fault() -> None:
    graph, scorer = acme_scorer()
    api = signal("a1", "api", "api-1", 0)
    incident = incident_of(api)
    early = scorer.score(signal("d1", "db", "db-1", 0.5), incident, graph)  # the cause, seen a little late
    late = scorer.score(signal("d2", "db", "db-1", 3), incident, graph)  # db cannot have caused api's alert
    assert early is not None and early.total >= scorer.weights.threshold
    assert late is None or late.total < scorer.weights.threshold
    symptom = scorer.score(signal("w1", "web", "web-1", 3), incident, graph)  # callers may start later
    assert symptom is not None and symptom.total >= scorer.weights.threshold


def test_a_firing_alert_with_a_later_starts_at_is_a_new_occurrence() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    first = ops.kb.list_incidents().items[0].id
    ops.ingest([alert("DbDown", "db", "db-1", 180)])  # its resolve was lost; it fired again three hours later
    incidents = {i.id: i for i in ops.kb.list_incidents().items}
    assert len(incidents) == 2
    fingerprint = incidents[first].alert_fingerprints[0]
    assert ops.incident_of(fingerprint) != first
    ops.advance_to(T0 + timedelta(minutes=200))
    assert ops.kb.get_incident(first).status is IncidentStatus.RESOLVED  # type: ignore[union-attr]


WEB_ERRORS = alert("WebErrors", "web", "web-1", 0)


def web_errors_fired_and_ended() -> tuple[AlertOps, str]:
    """Return an engine where `WEB_ERRORS` fired at minute 0 and ended at 1, with the id of its incident."""
    ops = engine()
    ops.ingest([WEB_ERRORS])
    ops.ingest([alert("WebErrors", "web", "web-1", 1, status=AlertState.RESOLVED, endsAt=T0 + timedelta(minutes=1))])
    return ops, ops.kb.list_incidents().items[0].id


def refire_as_a_new_cascade_arrives(ops: AlertOps) -> str | None:
    """Start a cascade from db to api at minute 20, fire `WEB_ERRORS` again at 21 (web calls api, within the reopen
    window) and return the incident it is in."""
    ops.ingest([alert("DbDown", "db", "db-1", 20), alert("ApiErrors", "api", "api-1", 20.5)])
    ops.ingest([alert("WebErrors", "web", "web-1", 21)])
    return ops.incident_of(fingerprint_of(WEB_ERRORS))


def test_a_refire_moves_to_the_incident_that_explains_it_better() -> None:
    ops, old = web_errors_fired_and_ended()
    ops.ingest([alert("KeepOld", "web", "web-2", 2)])  # the old incident stays open
    assert refire_as_a_new_cascade_arrives(ops) not in (None, old)


def test_a_refire_after_its_incident_resolved_moves_to_the_incident_that_explains_it_better() -> None:
    ops, old = web_errors_fired_and_ended()
    ops.advance_to(T0 + timedelta(minutes=12))
    assert ops.kb.get_incident(old).status is IncidentStatus.RESOLVED  # type: ignore[union-attr]
    assert refire_as_a_new_cascade_arrives(ops) not in (None, old)
    assert ops.kb.get_incident(old).status is IncidentStatus.RESOLVED  # type: ignore[union-attr]


def test_a_quick_refire_with_no_better_home_stays() -> None:
    ops = engine()
    ops.ingest([alert("WebErrors", "web", "web-1", 0), alert("KeepOld", "web", "web-2", 0)])
    ops.ingest([alert("WebErrors", "web", "web-1", 1, status=AlertState.RESOLVED, endsAt=T0 + timedelta(minutes=1))])
    ops.ingest([alert("WebErrors", "web", "web-1", 3)])
    assert len(ops.kb.list_incidents().items) == 1


def test_a_tenant_whose_faults_travel_slowly_gets_a_longer_hop_tolerance() -> None:
    graph, scorer = acme_scorer()
    db = signal("d1", "db", "db-1", 0)
    incident = incident_of(db)
    slow = signal("a1", "api", "api-1", 12)  # twelve minutes for one hop
    before = scorer.score(slow, incident, graph)
    assert before is None or before.total < scorer.weights.threshold
    rng = random.Random(5)
    for i in range(40):  # this tenant's callers alert five minutes after their callee on average
        callee = signal(f"d{i}", "db", "db-1", 120 * i)
        cascade = incident_of(callee)
        caller = signal(f"a{i}", "api", "api-1", 120 * i + rng.expovariate(1 / 5))
        sample = HopSample()
        scorer.score(caller, cascade, graph, sample=sample)
        scorer.observe_onset(caller, sample)  # learned whether it linked or not
    assert scorer.delays.scale("acme") > scorer.weights.time_scale_s
    assert scorer.delays.scale("globex") == scorer.weights.time_scale_s
    after = scorer.score(slow, incident, graph)
    assert after is not None and after.total >= scorer.weights.threshold and after.hops == 1


def test_a_hop_sample_is_the_shortest_gap_per_hop_along_calls_over_the_incidents_scored() -> None:
    graph, scorer = acme_scorer()
    incidents = [
        incident_of(signal(f"{s}1", s, f"{s}-1", minutes)) for s, minutes in (("db", 0), ("cache", 4), ("web", 7))
    ]
    api = signal("a1", "api", "api-1", 10)
    sample = HopSample()
    for incident in incidents:  # api calls db and cache, one hop each
        scorer.score(api, incident, graph, sample=sample)
    # cache's onset six minutes before, not db's ten; web calls api and started well before it: api cannot be its
    # cause, so that gap travelled no call.
    assert sample.per_hop_s == 360.0
    same_service = HopSample()
    scorer.score(signal("a2", "api", "api-2", 10.5), incident_of(api), graph, sample=same_service)
    assert same_service.per_hop_s is None  # no hop travelled: no sample
    scorer.observe_onset(api, same_service)
    assert scorer.delays.mean("acme") == HopDelays(300.0, 300.0, 900.0, 3600.0).mean("acme")


def test_the_hop_delay_is_learned_from_distinct_alerts_only() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("ApiErrors", "api", "api-1", 3)])
    assert ops._scorer.delays.state()  # the first occurrence of ApiErrors, one hop from DbDown, was a sample
    ops.ingest([alert("ApiErrors", "api", "api-1", 4, status=AlertState.RESOLVED, endsAt=T0 + timedelta(minutes=4))])
    ops.ingest([alert("DbSlow", "db", "db-1", 70)])
    learned = ops._scorer.delays.state()
    refire = alert("ApiErrors", "api", "api-1", 71)
    ops.ingest([refire])  # correlated afresh (its incident is stale), linked one hop along calls to DbSlow
    assert ops.incident_of(fingerprint_of(refire)) == ops.incident_of(fingerprint_of(alert("DbSlow", "db", "db-1", 70)))
    assert ops._scorer.delays.state() == learned  # not a new onset: no sample


def test_a_symptom_shared_by_two_separate_faults_joins_one_without_merging_them() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0)])
    ops.ingest([alert("CacheDown", "cache", "cache-1", 3)])  # db and cache do not call each other; 3 min apart
    ops.ingest([alert("ApiErrors", "api", "api-1", 3.5)])  # api calls both
    incidents = ops.kb.list_incidents().items
    assert len(incidents) == 2 and all(i.processingState != "merged" for i in incidents)
    assert sorted(len(i.alert_fingerprints) for i in incidents) == [1, 2]


def test_a_distinct_alert_on_a_service_is_one_fault_only_within_the_onset_tolerance() -> None:
    scorer = Scorer(CorrelationWeights(), CooccurrenceStats())
    first = signal("f1", "api", "api-host-a", 0)
    incident = incident_of(first)
    # Another host of the same service, so only the same-service link applies.
    soon = scorer.score(signal("f2", "api", "api-host-b", 0.5, "Latency"), incident, None)
    later = scorer.score(signal("f3", "api", "api-host-b", 5, "Latency"), incident, None)
    assert soon is not None and soon.total >= CorrelationWeights().threshold
    assert later is None or later.total < CorrelationWeights().threshold


def test_a_callee_of_a_symptom_apart_from_the_incidents_root_is_another_faults_root() -> None:
    graph, scorer = acme_scorer()
    db = signal("d1", "db", "db-1", 0)
    incident = incident_of(db)
    incident.add(signal("a1", "api", "api-1", 1))  # api calls db: a symptom of the db fault
    cache = signal("c1", "cache", "cache-1", 1.5)  # api calls cache too, but cache and db do not call each other
    unknown_root = scorer.score(cache, incident, graph)
    assert unknown_root is not None and unknown_root.total >= scorer.weights.threshold
    known_root = scorer.score(cache, incident, graph, root="db")
    assert known_root is None or known_root.total < scorer.weights.threshold
    web = scorer.score(signal("w1", "web", "web-1", 2), incident, graph, root="db")  # web calls api: a symptom
    assert web is not None and web.total >= scorer.weights.threshold


def test_a_tenant_whose_faults_alert_on_a_host_within_seconds_keeps_a_later_alert_there_apart() -> None:
    fresh, learned = engine(), engine()
    history: list[AlertIn] = []
    for i in range(30):  # every 2 hours one host has a fault: an alert and, 5 s later, its host-level evidence
        start = 120.0 * i
        history.append(alert(f"Down{i}", "mail", "mail-1", start))
        history.append(alert(f"Load{i}", "mail", "mail-1", start + 5 / 60))
    learned.ingest(history)
    at = 120.0 * 30
    for ops in (fresh, learned):
        ops.ingest([alert("MailQueueStuck", "mail", "mail-1", at)])
        ops.ingest([alert("MailDeliveryFailing", "mail", "mail-1", at + 4)])  # four minutes later, same host
    assert fresh.incident_of(_fingerprint(fresh, "MailDeliveryFailing")) == fresh.incident_of(
        _fingerprint(fresh, "MailQueueStuck")
    )  # the configured five-minute tolerance joins them
    assert learned.incident_of(_fingerprint(learned, "MailDeliveryFailing")) != learned.incident_of(
        _fingerprint(learned, "MailQueueStuck")
    )


def _fingerprint(ops: AlertOps, alertname: str) -> str:
    return next(a.fingerprint for a in ops.kb.list_alerts(limit=1000).items if a.labels["alertname"] == alertname)


def _site_topology() -> TopologyIn:
    """Six services with no calls between them; a, b, c and lb in site one, d and e in site two (lb calls a)."""
    services = [{"name": n, "hosts": [f"{n}-1"], "site": "one"} for n in ("a", "b", "c", "lb")]
    services += [{"name": n, "hosts": [f"{n}-1"], "site": "two"} for n in ("d", "e")]
    return TopologyIn.model_validate({"tenant": "acme", "services": services, "dependencies": [["lb", "a"]]})


def _node_alert(name: str, host: str, seconds: float) -> AlertIn:
    labels = {"alertname": name, "severity": "critical", "instance": f"{host}:9100", "tenant": "acme", "job": "node"}
    return AlertIn(labels=labels, startsAt=T0 + timedelta(seconds=seconds))


def _fp(name: str, host: str) -> str:
    return fingerprint_of(_node_alert(name, host, 0))


def test_many_hosts_of_one_site_unreachable_at_once_are_one_fault() -> None:
    ops = AlertOps(MemoryKnowledgeBase())
    ops.set_topology(_site_topology())
    ops.ingest([_node_alert("SiteLinkDown", "lb-1", 0)])  # the gateway, minutes before the hosts drop
    burst = [_node_alert("InstanceDown", host, 120 + i) for i, host in enumerate(("lb-1", "a-1", "b-1", "c-1"))]
    ops.ingest(burst)
    ops.ingest([_node_alert("InstanceDown", "d-1", 125)])  # another site: not part of the burst
    ids = {ops.incident_of(_fp("InstanceDown", host)) for host in ("lb-1", "a-1", "b-1", "c-1")}
    assert len(ids) == 1
    assert ops.incident_of(_fp("SiteLinkDown", "lb-1")) in ids  # merged across the call order
    assert ops.incident_of(_fp("InstanceDown", "d-1")) not in ids


def test_two_hosts_of_a_site_down_together_are_not_yet_a_site_outage() -> None:
    ops = AlertOps(MemoryKnowledgeBase())
    ops.set_topology(_site_topology())
    ops.ingest([_node_alert("InstanceDown", "a-1", 0), _node_alert("InstanceDown", "b-1", 5)])
    ops.ingest([_node_alert("HighLatencyP99", "c-1", 6)])  # not an availability alert
    ids = {ops.incident_of(_fp(name, host)) for name, host in
           (("InstanceDown", "a-1"), ("InstanceDown", "b-1"), ("HighLatencyP99", "c-1"))}  # fmt: skip
    assert len(ids) == 3


def test_a_site_burst_counts_only_onsets_within_the_onset_tolerance() -> None:
    bursts = SiteBursts(60.0)

    def node(host: str, seconds: float) -> Signal:
        at = T0 + timedelta(seconds=seconds)
        return occurrence(f"{host}-{seconds}", "InstanceDown", host, (), at, severity=5, site="one", availability=True)

    for host, seconds in (("a-1", 0), ("b-1", 10), ("c-1", 300)):
        bursts.observe(node(host, seconds))
    assert bursts.burst(node("d-1", 20)) == ["a-1-0", "b-1-10"]
    assert bursts.burst(node("d-1", 200)) == []  # only c-1 is near: two hosts
    bursts.observe(node("e-1", 2000))  # far later: the old onsets are dropped
    assert bursts.burst(node("d-1", 20)) == []


def test_an_engine_learns_a_slow_tenants_hop_delay_from_the_alerts_it_could_not_link() -> None:
    rng = random.Random(11)
    history = []
    for i in range(40):  # callers alert about five minutes after their callee, often too late to link at first
        history.append(alert(f"DbDown{i}", "db", "db-1", 120 * i))  # distinct alerts: re-fires are not onsets
        history.append(alert(f"ApiErrors{i}", "api", "api-1", 120 * i + rng.expovariate(1 / 5)))
    last = [alert("DbDown", "db", "db-1", 120 * 40), alert("ApiErrors", "api", "api-1", 120 * 40 + 12)]
    fresh, learned = engine(), engine()
    for ops, stream in ((fresh, last), (learned, history + last)):
        for item in stream:
            ops.ingest([item])
    for ops, together in ((fresh, False), (learned, True)):
        db, api = (_fingerprint(ops, name) for name in ("DbDown", "ApiErrors"))
        assert (ops.incident_of(db) == ops.incident_of(api)) is together


def _symptom_scorer() -> tuple[TenantGraph | None, Scorer]:
    """The test tenant's graph and a scorer that learned "Latency" joins incidents far more often than it opens."""
    graph, scorer = acme_scorer()
    for _ in range(8):
        scorer.roles.learn("Latency", opened=False)
    scorer.roles.learn("Latency", opened=True)
    return graph, scorer


def _cache_incident() -> HotIncident:
    cache = signal("c1", "cache", "cache-1", 0, "CacheHitRatioLow")
    incident = incident_of(cache)
    return incident


def test_a_symptom_on_a_sibling_of_the_root_seen_after_it_links_to_it() -> None:
    graph, scorer = _symptom_scorer()
    incident = _cache_incident()  # api calls cache and db; cache and db do not call each other
    link = scorer.score(signal("d1", "db", "db-1", 1, "Latency"), incident, graph, root="cache")
    assert link is not None and link.total >= scorer.weights.threshold and "sibling" in link.via
    late = scorer.score(signal("d2", "db", "db-1", 30, "Latency"), incident, graph, root="cache")
    assert late is None or late.total < scorer.weights.threshold


def test_a_sibling_link_needs_the_root_first_a_symptom_like_name_and_a_reachable_host() -> None:
    graph, scorer = _symptom_scorer()
    root_later = HotIncident("INC-2", "acme", False, T0, T0)
    root_later.add(signal("c1", "cache", "cache-1", 5, "CacheHitRatioLow"))
    before = scorer.score(signal("d1", "db", "db-1", 0, "Latency"), root_later, graph, root="cache")
    assert before is None or "sibling" not in before.via
    unseen = scorer.score(signal("d2", "db", "db-1", 1, "DatabaseDown"), _cache_incident(), graph, root="cache")
    assert unseen is None or unseen.total < scorer.weights.threshold  # a name of unknown role may be a new root
    latency = signal("d3", "db", "db-1", 1, "Latency")
    down = Signal(latency.fingerprint, latency.tenant, replace(latency.traits, availability=True), latency.at)
    unreachable = scorer.score(down, _cache_incident(), graph, root="cache")
    assert unreachable is None or unreachable.total < scorer.weights.threshold


def test_learned_state_parses_back_into_parts_a_scorer_installs() -> None:
    ops = engine()
    ops.ingest([alert("DbDown", "db", "db-1", 0), alert("ApiErrors", "api", "api-1", 3)])
    ops.resolve(ops.kb.list_incidents().items[0].id, reason="fixed", actor="op")  # co-occurrence learns from it
    stored = ops._scorer.learned_state()
    assert stored["hop_delays"] and stored["roles"] and stored["cooccurrence"]["pairs"]
    learned = Learned.parse(stored, ops.weights)
    _, scorer = acme_scorer()
    scorer.install(learned)
    assert scorer.learned_state() == stored
    assert scorer.delays is learned.delays and scorer.cooccurrence is learned.cooccurrence

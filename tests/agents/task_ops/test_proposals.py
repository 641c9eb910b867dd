"""Proposals: symptoms from alert-name words, evidence only from firing alerts on the root host,
severity-weighted shares, preconditions respected, and learned outcomes moving the confidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agents.task_ops import SPECS, Proposer, symptoms_of
from agents.task_ops.proposals import confidence, stats_key, words
from config.knowledge_base import MemoryKnowledgeBase
from data.models import Alert, AlertState, Incident, Risk
from tests.config.executor_fixtures import DictInventory

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def alert(name: str, host: str, severity: str = "high", status: AlertState = AlertState.FIRING) -> Alert:
    labels = {"alertname": name, "instance": host, "severity": severity}
    return Alert(fingerprint=f"{name}:{host}", labels=labels, status=status, startsAt=T0, lastSeen=T0)


def incident(host: str | None, **fields: Any) -> Incident:
    return Incident(id="INC-1", title="t", rootCauseHost=host, createdAt=T0, updatedAt=T0, **fields)


def proposer(kb: MemoryKnowledgeBase | None = None) -> Proposer:
    store = kb or MemoryKnowledgeBase()
    return Proposer(SPECS, DictInventory(), store.get_action_stats)


def test_alert_names_split_into_words_and_symptoms() -> None:
    assert words("ContainerExitCode137") == {"container", "exit", "code", "137"}
    assert words("node_disk_fill-rate") == {"node", "disk", "fill", "rate"}
    assert symptoms_of("OomKillerTriggered") == ["memory_pressure"]
    assert symptoms_of("NameServerTimeout") == ["name_resolution"]
    assert symptoms_of("ServerTimeout") == [] and symptoms_of("ErrorRateHigh") == []


def test_the_most_severe_consistent_symptom_wins_with_its_evidence() -> None:
    host = "acme-web-1"
    alerts = [
        alert("HostMemoryExhausted", host),
        alert("OomKillerTriggered", host),
        alert("HostHighCpuLoad", host, "medium"),
        alert("HostDiskSpaceCritical", "acme-web-2", "critical"),  # another host: not evidence
        alert("CertificateExpired", host, "critical", AlertState.RESOLVED),  # resolved: not evidence
    ]
    proposals = proposer().for_incident(incident(host), alerts)
    assert [p.action for p in proposals] == ["restart_service", "kill_process"]
    best = proposals[0]
    assert best.symptom == "memory_pressure" and best.target == host and best.tenant == "acme"
    assert best.evidence == [f"HostMemoryExhausted on {host}", f"OomKillerTriggered on {host}"]
    assert best.confidence == round(0.8 * 4 / 5, 4)  # prior x its share of the severity-weighted evidence
    assert proposer().for_incident(incident(None), alerts) == []


def test_preconditions_drop_actions_the_target_cannot_take() -> None:
    alerts = [alert("CacheHitRatioLow", "acme-web-1")]
    assert proposer().for_incident(incident("acme-web-1"), alerts) == []  # clear_cache needs a cache host
    on_cache = proposer().for_incident(incident("acme-cache-1"), [alert("CacheHitRatioLow", "acme-cache-1")])
    assert [p.action for p in on_cache] == ["clear_cache"]


def test_verified_outcomes_move_the_confidence() -> None:
    kb = MemoryKnowledgeBase()
    alerts = [alert("ProcessCpuRunaway", "acme-web-1")]
    before = proposer(kb).for_incident(incident("acme-web-1"), alerts)[0].confidence
    for _ in range(4):
        kb.bump_action_stats(stats_key("cpu_saturation", "web", "kill_process"), {"trials": 1, "verified": 0})
    after = proposer(kb).for_incident(incident("acme-web-1"), alerts)[0].confidence
    assert before == 0.75 and after == confidence(0.75, {"trials": 4, "verified": 0}) == 0.375
    on_db = proposer(kb).for_incident(incident("acme-db-1"), [alert("ProcessCpuRunaway", "acme-db-1")])
    assert on_db[0].confidence == 0.75 and on_db[0].role == "db"  # what was learned on web hosts stays there


def test_a_risk_gets_a_preventive_proposal() -> None:
    risk = Risk(
        id="R1", host="acme-db-1", metric="disk", threshold=95, eta=T0 + timedelta(hours=3), probability=0.8,
        recommended_action="clean up", created_at=T0,
    )  # fmt: skip
    proposals = proposer().for_risk(risk)
    assert [p.action for p in proposals] == ["cleanup_disk", "expand_disk"]
    assert "disk forecast to cross 95" in proposals[0].evidence[0]
    assert proposer().for_risk(risk.model_copy(update={"metric": "network"})) == []

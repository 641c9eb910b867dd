"""One contract suite for every knowledge-base backend: memory, SQLite file, DynamoDB over real HTTP (moto)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.document_store import Doc
from config.knowledge_base import InvalidCursor, KnowledgeBase, build_knowledge_base
from data.advisories import Advisory
from data.models import (
    Action,
    ActionStatus,
    Alert,
    AuditEntry,
    CanaryPhase,
    HealthCheck,
    HostPatchStatus,
    Incident,
    IncidentStatus,
    MetricComparison,
    OutcomeRecord,
    PatchHost,
    PatchPlan,
    Risk,
    RolloutState,
    Severity,
    Verdict,
)
from tests.conftest import make_settings

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def incident(n: int, **fields: Any) -> Incident:
    created = T0 + timedelta(minutes=n)
    values: dict[str, Any] = {
        "id": f"INC-{n:04d}",
        "title": f"incident {n}",
        "tenant": "acme" if n % 2 else "globex",
        "severity": Severity.HIGH,
        "createdAt": created,
        "updatedAt": created,
        "confidence": 0.5,
    }
    values.update(fields)
    return Incident(**values)


def test_incident_round_trip_keeps_every_field(kb: KnowledgeBase) -> None:
    original = incident(1, services=["api", "db"], rootCauseService="db", confidence=0.8125)
    kb.save_incidents([original])
    assert kb.get_incident("INC-0001") == original
    assert kb.get_incident("INC-9999") is None


def test_returned_objects_are_copies(kb: KnowledgeBase) -> None:
    kb.save_incidents([incident(1, services=["api"])])
    first = kb.get_incident("INC-0001")
    assert first is not None
    first.services.append("mutated")
    again = kb.get_incident("INC-0001")
    assert again is not None and again.services == ["api"]


def test_listing_is_newest_first_and_pages_are_stable(kb: KnowledgeBase) -> None:
    kb.save_incidents([incident(n) for n in range(23)])
    seen: list[str] = []
    cursor = None
    while True:
        page = kb.list_incidents(limit=5, cursor=cursor)
        seen.extend(i.id for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"INC-{n:04d}" for n in reversed(range(23))]


def test_same_timestamp_orders_by_id(kb: KnowledgeBase) -> None:
    kb.save_incidents([incident(1, id=f"INC-{c}", createdAt=T0, updatedAt=T0) for c in "cab"])
    page = kb.list_incidents(limit=2)
    assert [i.id for i in page.items] == ["INC-c", "INC-b"]
    rest = kb.list_incidents(limit=2, cursor=page.next_cursor)
    assert [i.id for i in rest.items] == ["INC-a"] and rest.next_cursor is None


def test_filters_and_since(kb: KnowledgeBase) -> None:
    kb.save_incidents(
        [incident(n, status=IncidentStatus.RESOLVED if n < 4 else IncidentStatus.OPEN) for n in range(10)]
    )
    assert [i.id for i in kb.list_incidents(status="resolved").items] == [
        "INC-0003",
        "INC-0002",
        "INC-0001",
        "INC-0000",
    ]
    assert {i.tenant for i in kb.list_incidents(tenant="acme").items} == {"acme"}
    recent = kb.list_incidents(since=T0 + timedelta(minutes=7))
    assert [i.id for i in recent.items] == ["INC-0009", "INC-0008", "INC-0007"]
    page = kb.list_incidents(limit=1, status="open", since=T0 + timedelta(minutes=5))
    assert [i.id for i in page.items] == ["INC-0009"]
    second = kb.list_incidents(limit=10, cursor=page.next_cursor, status="open", since=T0 + timedelta(minutes=5))
    assert [i.id for i in second.items] == ["INC-0008", "INC-0007", "INC-0006", "INC-0005"]
    assert kb.count_incidents(status="open") == 6


def test_replacing_an_incident_updates_its_filters(kb: KnowledgeBase) -> None:
    kb.save_incidents([incident(1)])
    kb.save_incidents([incident(1, status=IncidentStatus.RESOLVED)])
    assert kb.list_incidents(status="open").items == []
    assert [i.id for i in kb.list_incidents(status="resolved").items] == ["INC-0001"]
    assert kb.count_incidents() == 1


def test_bad_cursor_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidCursor):
        kb.list_incidents(cursor="not-a-cursor")


def test_alerts_by_fingerprint_and_incident(kb: KnowledgeBase) -> None:
    alerts = [
        Alert(
            fingerprint=f"fp{n}",
            incident_id="INC-1" if n < 3 else "INC-2",
            labels={"alertname": "HighCPU", "instance": f"web-{n}"},
            startsAt=T0 + timedelta(seconds=n),
            lastSeen=T0 + timedelta(seconds=n),
            count=n + 1,
        )
        for n in range(5)
    ]
    kb.save_alerts(alerts)
    assert kb.get_alert("fp4") == alerts[4]
    assert [a.fingerprint for a in kb.list_alerts(incident_id="INC-1").items] == ["fp2", "fp1", "fp0"]
    assert [a.fingerprint for a in kb.list_alerts(fingerprint="fp3").items] == ["fp3"]


def test_audit_actions_outcomes_risks(kb: KnowledgeBase) -> None:
    entry = AuditEntry(id="AUD-1", time=T0, actor="alice", action="kill_switch", target="fleet", reason="patch night")
    stored = kb.append_audit(entry)
    assert stored.seq == 1 and stored.hash is not None and stored.recorded_at is not None
    assert stored.model_copy(update={"seq": None, "prev_hash": None, "hash": None, "recorded_at": None}) == entry
    assert kb.list_audit().items == [stored]
    action = Action(action_id="ACT-1", action_type="restart_service", agent="TaskOps", target="web-1", incident_id="I1")
    kb.save_action(action)
    kb.save_action(action.model_copy(update={"status": ActionStatus.COMPLETED}))
    assert [a.status for a in kb.list_actions(incident_id="I1").items] == [ActionStatus.COMPLETED]
    kb.record_outcome(OutcomeRecord(incident_id="I1", status="resolved", success=True, timestamp=T0))
    kb.record_outcome(OutcomeRecord(incident_id="I1", status="resolved", success=False, timestamp=T0))
    assert len(kb.list_outcomes(incident_id="I1").items) == 1  # same incident and instant: one record
    risk = Risk(
        id="R1", host="db-1", metric="disk", threshold=90.0, eta=T0, probability=0.7,
        recommended_action="disk_cleanup", created_at=T0,
    )  # fmt: skip
    kb.save_risk(risk)
    assert kb.list_risks(state="open").items == [risk]


def test_counters_and_settings(kb: KnowledgeBase) -> None:
    assert kb.get_action_stats("restart_service") is None
    kb.bump_action_stats("restart_service", {"success": 1})
    result = kb.bump_action_stats("restart_service", {"success": 1, "failure": 1})
    assert result == {"success": 2, "failure": 1}
    assert kb.get_action_stats("restart_service") == {"success": 2, "failure": 1}
    kb.bump_selection_stats("db|cpu", {"uses": 1, "quality": 0.75})
    assert kb.get_selection_stats("db|cpu") == {"uses": 1, "quality": 0.75}
    kb.put_setting("kill_switch", {"active": True, "reason": "maintenance"})
    assert kb.get_setting("kill_switch") == {"active": True, "reason": "maintenance"}
    assert kb.get_setting("missing") is None


def test_concurrent_increments_are_not_lost(kb: KnowledgeBase) -> None:
    def bump() -> None:
        for _ in range(10):
            kb.bump_action_stats("clear_cache", {"success": 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kb.get_action_stats("clear_cache") == {"success": 40}


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = build_knowledge_base(settings)
    first.save_incidents([incident(1)])
    first.put_setting("kill_switch", {"active": True})
    first.close()
    second = build_knowledge_base(settings)
    assert second.get_incident("INC-0001") == incident(1)
    assert second.get_setting("kill_switch") == {"active": True}
    second.close()


def test_memory_backend_is_bounded(tmp_path: Path) -> None:
    kb = build_knowledge_base(make_settings(tmp_path, KB_BACKEND="memory", KB_MEMORY_CAPACITY=100))
    kb.save_incidents([incident(n) for n in range(150)])
    page = kb.list_incidents(limit=1000)
    assert len(page.items) == 100
    assert page.items[-1].id == "INC-0050"  # the oldest were evicted first


def test_an_ingest_batch_is_stored_like_the_models_and_filters_alike(kb: KnowledgeBase) -> None:
    incidents = [incident(1, status=IncidentStatus.OPEN), incident(2, status=IncidentStatus.RESOLVED)]
    alert = Alert(fingerprint="fp-1", incident_id="INC-0001", labels={"alertname": "DbDown"}, startsAt=T0, lastSeen=T0)
    kb.save_ingested(
        [(alert.startsAt, alert.model_dump(mode="json"))], [(i.createdAt, i.model_dump(mode="json")) for i in incidents]
    )
    assert kb.get_incident("INC-0002") == incidents[1]
    assert [i.id for i in kb.list_incidents(status="open").items] == ["INC-0001"]
    assert kb.list_alerts(incident_id="INC-0001").items == [alert]
    kb.save_ingested([], [])  # an empty batch is a no-op
    assert kb.count_incidents() == 2


def test_any_text_round_trips_and_filters(kb: KnowledgeBase) -> None:
    labels = {"alertname": "Überlast", "instance": "日本-1"}
    alert = Alert(fingerprint="fp-ü", incident_id="INC-ü", labels=labels, startsAt=T0, lastSeen=T0)
    kb.save_ingested([(alert.startsAt, alert.model_dump(mode="json"))], [])
    assert kb.get_alert("fp-ü") == alert
    assert kb.list_alerts(incident_id="INC-ü").items == [alert]


def test_sqlite_stores_text_its_fast_encoder_cannot_write(tmp_path: Path) -> None:
    # JSON input can carry a lone surrogate; pydantic-core cannot encode it, so the store falls back to json's.
    kb = build_knowledge_base(make_settings(tmp_path, KB_BACKEND="sqlite"))
    alert = Alert(fingerprint="fp-1", incident_id="INC-1", labels={"odd": "\udc80"}, startsAt=T0, lastSeen=T0)
    kb.save_ingested([(alert.startsAt, alert.model_dump(mode="json"))], [])
    assert kb.get_alert("fp-1") == alert
    assert kb.list_alerts(incident_id="INC-1").items == [alert]
    kb.close()


def test_order_key_is_the_fixed_width_utc_text_for_any_zone_and_year() -> None:
    from zoneinfo import ZoneInfo

    from config.knowledge_base import order_key

    repeated = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # this local hour happens twice
    moments = [T0, T0 + timedelta(microseconds=7), datetime(999, 1, 2, tzinfo=UTC), repeated, repeated.replace(fold=1)]
    for moment in moments:
        assert order_key(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert order_key(repeated) != order_key(repeated.replace(fold=1))


def test_alert_records_are_keyed_by_tenant_and_fingerprint(kb: KnowledgeBase) -> None:
    mine = Alert(fingerprint="same", labels={"alertname": "A", "tenant": "acme"}, startsAt=T0, lastSeen=T0)
    theirs = Alert(fingerprint="same", labels={"alertname": "B", "tenant": "globex"}, startsAt=T0, lastSeen=T0)
    kb.save_alerts([mine])
    kb.save_ingested([(theirs.startsAt, theirs.model_dump(mode="json"))], [])
    assert kb.get_alert("same", "acme") == mine and kb.get_alert("same", "globex") == theirs
    assert kb.get_alert("same") is None  # the default tenant has no such alert
    assert len(kb.list_alerts(fingerprint="same").items) == 2


def test_compare_and_put_writes_only_over_the_expected_version(open_kb: Callable[[], KnowledgeBase]) -> None:
    first, second = open_kb().store, open_kb().store  # two connections: two processes or machines
    assert first.compare_and_put("guards", Doc("g", "", {"version": 1}), None)
    assert not second.compare_and_put("guards", Doc("g", "", {"version": 1}), None)  # it exists already
    entry = Doc("e1", "2026-01-01T00:00:00.000000Z", {"n": 1}, {"kind": "x"})
    assert second.compare_and_put("guards", Doc("g", "", {"version": 2}), 1, [("entries", entry)])
    stale = Doc("e2", "2026-01-01T00:00:01.000000Z", {"n": 2})
    assert not first.compare_and_put("guards", Doc("g", "", {"version": 2}), 1, [("entries", stale)])
    assert first.get("guards", "g") == {"version": 2}
    assert first.get("entries", "e1") == {"n": 1} and first.get("entries", "e2") is None  # nothing of a lost race


def patch_plan(n: int, **fields: Any) -> PatchPlan:
    values: dict[str, Any] = {
        "id": f"PLAN-{n:03d}",
        "name": "openssl 3.0.2-0ubuntu1.13",
        "package": "openssl",
        "fixed_version": "3.0.2-0ubuntu1.13",
        "systems": 2,
        "risk_score": 0.5625,
        "created_at": T0 + timedelta(minutes=n),
        "advisory_id": f"OSA-2026-{n:04d}",
        "canary_size": 1,
        "canary_phases": [CanaryPhase(name="Canary (1 hosts)", hosts=["web-01"], bake_seconds=1800.0)],
        "affected_hosts": [
            PatchHost(host="web-01", tenant="acme", wave=0, rollback_to="3.0.2-0ubuntu1.12", preflight={"disk": True}),
            PatchHost(host="web-02", tenant="acme", wave=1, status=HostPatchStatus.INSTALLING, attempt=2),
        ],
        "health_checks": [
            HealthCheck(
                wave=0,
                at=T0,
                window_start=T0 - timedelta(minutes=30),
                window_end=T0,
                verdict=Verdict.FAIL,
                reason="worse",
                hosts=["web-01"],
                comparisons=[
                    MetricComparison(
                        host="web-01", metric="error_rate", n_patched=30, n_peers=120, n_baseline=30,
                        patched_median=15.25, peers_median=0.3, baseline_median=0.31, p_peers=1.2e-11,
                        p_baseline=3.4e-9, verdict=Verdict.FAIL,
                    )
                ],
                chart=[{"t": 1.7e9, "patched": 15.25, "peers": None}],
            )
        ],
    }  # fmt: skip
    values.update(fields)
    return PatchPlan(**values)


def test_patch_plans_and_advisories_round_trip_and_filter(kb: KnowledgeBase) -> None:
    plans = [patch_plan(n, state=RolloutState.PAUSED if n % 2 else RolloutState.CANARY) for n in range(5)]
    for plan in plans:
        kb.save_patch_plan(plan)
    assert kb.get_patch_plan("PLAN-003") == plans[3]
    assert [p.id for p in kb.list_patch_plans(state="paused").items] == ["PLAN-003", "PLAN-001"]
    assert [p.id for p in kb.list_patch_plans(advisory_id="OSA-2026-0002").items] == ["PLAN-002"]
    assert kb.count_patch_plans(state="canary") == 3
    moved = plans[3].model_copy(update={"state": RolloutState.ROLLED_BACK})
    kb.save_patch_plan(moved)
    assert kb.count_patch_plans(state="paused") == 1 and kb.get_patch_plan("PLAN-003") == moved
    advisory = Advisory(
        id="OSA-2026-0001", package="openssl", fixed_version="3.0.2-0ubuntu1.13", severity=Severity.HIGH,
        cvss=7.5, affected_os=["ubuntu-22.04"], affected_hosts=["web-01"], published_at=T0, summary="ünïcode",
    )  # fmt: skip
    kb.save_advisory(advisory)
    assert kb.get_advisory("OSA-2026-0001") == advisory and kb.get_advisory("nope") is None
    assert [a.id for a in kb.list_advisories(package="openssl").items] == ["OSA-2026-0001"]


def test_executor_records_round_trip_and_filter(kb: KnowledgeBase) -> None:
    from data.execution import ActionRequest, ExecutedAction, ExecutionState, GuardDecision

    def record(n: int, state: ExecutionState, **fields: Any) -> ExecutedAction:
        request = ActionRequest(
            action="restart_service",
            target=f"acme-api-{n:02d}",
            tenant="acme" if n % 2 else "globex",
            reason="memory leak",
            requested_by="agent:TaskOps",
            params={"size": 2, "note": "ünïcode"},
            idempotency_key=f"key-{n}",
            incident_id="INC-1" if n < 3 else None,
            confidence=0.875,
        )
        decision = GuardDecision(rule="kill_switch", allowed=True, reason="off", at=T0)
        values: dict[str, Any] = {
            "id": f"EXA-{n}",
            "request": request,
            "state": state,
            "decisions": [decision],
            "created_at": T0 + timedelta(minutes=n),
        }
        values.update(fields)
        return ExecutedAction(**values)

    records = [record(n, ExecutionState.SUCCEEDED if n % 3 else ExecutionState.BLOCKED) for n in range(6)]
    for r in records:
        kb.save_execution(r)
    assert kb.get_execution("EXA-4") == records[4]
    assert kb.get_execution("EXA-99") is None
    assert [r.id for r in kb.list_executions().items] == [f"EXA-{n}" for n in range(5, -1, -1)]
    assert [r.id for r in kb.list_executions(state="blocked").items] == ["EXA-3", "EXA-0"]
    assert [r.id for r in kb.list_executions(incident_id="INC-1").items] == ["EXA-2", "EXA-1", "EXA-0"]
    assert [r.id for r in kb.list_executions(idempotency_key="key-4").items] == ["EXA-4"]
    assert [r.id for r in kb.list_executions(tenant="acme", since=T0 + timedelta(minutes=2)).items] == [
        "EXA-5",
        "EXA-3",
    ]
    kb.save_execution(records[3].model_copy(update={"state": ExecutionState.RUNNING}))  # a state change moves filters
    assert [r.id for r in kb.list_executions(state="blocked").items] == ["EXA-0"]
    assert [r.id for r in kb.list_executions(state="running").items] == ["EXA-3"]

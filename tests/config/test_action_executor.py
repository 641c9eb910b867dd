"""The Executor: each guardrail blocks with its reason, approvals, idempotency, retries, verification,
timeouts, restart with an action in flight."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from config.action_executor import ExecutionState
from config.guardrails import Limits
from config.knowledge_base import KnowledgeBase, build_knowledge_base
from data.actuation import ActionResult
from data.errors import Conflict, InvalidInput
from data.execution import ExecutedAction
from data.models import Action
from tests.config.executor_fixtures import (
    T0,
    MemorySilence,
    Rig,
    completed,
    request,
    rig,
    transient_failure,
)
from tests.conftest import make_settings


def run(r: Rig, record: ExecutedAction) -> ExecutedAction:
    return r.executor.wait(record.id, 5.0)


def audit_actions(kb: KnowledgeBase) -> list[str]:
    return [e.action for e in kb.list_audit(limit=500).items]


def test_a_low_risk_action_runs_and_is_verified_from_observed_state() -> None:
    with rig() as r:
        record = r.executor.submit(request())
        assert record.state is ExecutionState.RUNNING
        done = run(r, record)
        assert done.state is ExecutionState.SUCCEEDED and done.verified is True and done.attempts == 1
        assert [d.rule for d in done.decisions] == [
            "kill_switch", "silence", "allowlist", "cooldown", "rate_limit", "blast_radius", "risk_policy",
        ]  # fmt: skip
        assert all(d.allowed for d in done.decisions)
        assert r.kb.get_execution(record.id) == done
        assert {"action.started", "action.succeeded"} <= set(audit_actions(r.kb))


def test_kill_switch_blocks_with_its_reason() -> None:
    with rig() as r:
        r.switch.set(True, reason="incident review", actor="user:ana")
        record = r.executor.submit(request())
        assert record.state is ExecutionState.BLOCKED and record.blocked_by == "kill_switch"
        assert "incident review" in record.decisions[-1].reason and "user:ana" in record.decisions[-1].reason
        assert r.actuator.calls == []
        assert "action.blocked" in audit_actions(r.kb)


def test_a_silence_blocks_only_what_it_covers() -> None:
    with rig() as r:
        r.silences.silences.append(
            MemorySilence("SIL-1", "acme", {"service": "acme-web"}, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
        )
        blocked = r.executor.submit(request(target="acme-web-2"))
        assert blocked.blocked_by == "silence" and "SIL-1" in blocked.decisions[-1].reason
        assert r.executor.submit(request(target="acme-db-1")).state is ExecutionState.RUNNING
        r.clock.advance(2 * 3600)  # the window is over
        assert r.executor.submit(request(target="acme-web-2")).state is ExecutionState.RUNNING


def test_the_allowlist_is_per_tenant_with_a_default() -> None:
    limits = Limits(allowlist={"*": ("other_fix",), "globex": ("*",)}, retry_backoff_s=0)
    with rig(limits=limits) as r:
        blocked = r.executor.submit(request())
        assert blocked.blocked_by == "allowlist" and "acme" in blocked.decisions[-1].reason
        assert r.executor.submit(request("other_fix")).state is ExecutionState.RUNNING
        assert r.executor.submit(request(target="globex-web-1")).state is ExecutionState.RUNNING


def test_cooldown_per_target_and_action() -> None:
    with rig(limits=Limits(cooldown_s=600, retry_backoff_s=0)) as r:
        run(r, r.executor.submit(request()))
        r.clock.advance(599)
        again = r.executor.submit(request())
        assert again.blocked_by == "cooldown" and "cooldown is 600 s" in again.decisions[-1].reason
        assert run(r, r.executor.submit(request("other_fix"))).state is ExecutionState.SUCCEEDED  # another action
        r.clock.advance(1)
        assert r.executor.submit(request()).state is ExecutionState.RUNNING


def test_rate_limits_global_and_per_tenant() -> None:
    limits = Limits(rate_global_per_hour=3, rate_tenant_per_hour=2, cooldown_s=0, retry_backoff_s=0)
    with rig(limits=limits) as r:
        for target in ("acme-web-1", "acme-db-1"):
            run(r, r.executor.submit(request(target=target)))
        tenant = r.executor.submit(request(target="acme-cache-1"))
        assert tenant.blocked_by == "rate_limit" and "per-tenant limit is 2" in tenant.decisions[-1].reason
        run(r, r.executor.submit(request(target="globex-web-1")))
        fleet = r.executor.submit(request(target="globex-db-1"))
        assert fleet.blocked_by == "rate_limit" and "global limit is 3" in fleet.decisions[-1].reason
        r.clock.advance(3601)
        assert r.executor.submit(request(target="globex-db-1")).state is ExecutionState.RUNNING


def blocking_actuator(release: threading.Event, entered: threading.Event):  # type: ignore[no-untyped-def]
    def reply(action: Action) -> ActionResult:
        entered.set()
        release.wait(5)
        return completed(action)

    return reply


def test_blast_radius_per_tenant_per_service_and_never_every_replica() -> None:
    release, entered = threading.Event(), threading.Event()
    hold = blocking_actuator(release, entered)
    limits = Limits(max_concurrent_per_tenant=2, max_concurrent_per_service=2, cooldown_s=0, retry_backoff_s=0)
    with rig(hold, hold, hold, limits=limits) as r:
        try:
            whole = r.executor.submit(request(target="acme-web"))
            assert whole.blocked_by == "blast_radius" and "every replica of acme-web" in whole.decisions[-1].reason
            assert r.executor.submit(request(target="acme-db-1")).state is ExecutionState.RUNNING
            both = r.executor.submit(request(target="acme-db-2"))
            assert both.blocked_by == "blast_radius" and "every replica of acme-db" in both.decisions[-1].reason
            assert r.executor.submit(request(target="acme-web-1")).state is ExecutionState.RUNNING
            third = r.executor.submit(request(target="acme-web-2"))
            assert third.blocked_by == "blast_radius" and "for tenant acme" in third.decisions[-1].reason
            assert r.executor.submit(request(target="globex-web-1")).state is ExecutionState.RUNNING
        finally:
            release.set()
    with rig(hold, limits=Limits(max_concurrent_per_service=1, cooldown_s=0, retry_backoff_s=0)) as r:
        release.clear()
        try:
            r.executor.submit(request(target="acme-web-1"))
            service = r.executor.submit(request(target="acme-web-2"))
            assert service.blocked_by == "blast_radius" and "on acme-web" in service.decisions[-1].reason
        finally:
            release.set()


def test_a_single_host_service_can_be_acted_on() -> None:
    with rig() as r:
        assert run(r, r.executor.submit(request(target="acme-cache"))).state is ExecutionState.SUCCEEDED


def test_risk_policy_medium_needs_confidence_high_needs_a_person() -> None:
    with rig(limits=Limits(medium_min_confidence=0.8, cooldown_s=0, retry_backoff_s=0)) as r:
        unsure = r.executor.submit(request("medium_fix", confidence=0.6))
        assert unsure.state is ExecutionState.AWAITING_APPROVAL and unsure.blocked_by is None
        assert "0.60 < 0.80" in unsure.decisions[-1].reason and unsure.expires_at is not None
        sure = r.executor.submit(request("medium_fix", target="acme-db-1", confidence=0.9))
        assert run(r, sure).state is ExecutionState.SUCCEEDED
        person = r.executor.submit(request("medium_fix", target="globex-db-1", requested_by="user:ana"))
        assert person.state is ExecutionState.RUNNING
        high = r.executor.submit(request("high_fix", target="globex-web-1", confidence=1.0))
        assert high.state is ExecutionState.AWAITING_APPROVAL and "high risk" in high.decisions[-1].reason
        assert r.actuator.calls and all(c.action_type != "high_fix" for c in r.actuator.calls)


def test_approval_starts_rejection_ends_expiry_lapses() -> None:
    with rig(limits=Limits(approval_ttl_s=600, cooldown_s=0, retry_backoff_s=0)) as r:
        high = r.executor.submit(request("high_fix", requested_by="user:bob"))
        with pytest.raises(Conflict, match="different person"):
            r.executor.approve(high.id, actor="user:bob", reason="mine")
        approved = r.executor.approve(high.id, actor="user:ana", reason="checked the runbook")
        assert approved.state is ExecutionState.RUNNING and approved.approved_by == "user:ana"
        assert run(r, approved).state is ExecutionState.SUCCEEDED
        with pytest.raises(Conflict, match="not awaiting approval"):
            r.executor.approve(high.id, actor="user:ana", reason="again")

        rejected = r.executor.submit(request("high_fix", target="acme-db-1"))
        out = r.executor.reject(rejected.id, actor="user:ana", reason="not now")
        assert out.state is ExecutionState.REJECTED and out.blocked_by == "approval"

        late = r.executor.submit(request("high_fix", target="globex-db-1"))
        r.clock.advance(601)
        assert r.executor.approve(late.id, actor="user:ana", reason="late").state is ExecutionState.EXPIRED
        lapsed = r.executor.submit(request("high_fix", target="globex-web-1"))
        r.clock.advance(601)
        assert [e.id for e in r.executor.expire_due()] == [lapsed.id]
        assert r.actuator.calls and len(r.actuator.calls) == 1


def test_an_approved_action_still_meets_the_kill_switch() -> None:
    with rig() as r:
        high = r.executor.submit(request("high_fix"))
        r.switch.set(True, reason="stop", actor="user:ana")
        out = r.executor.approve(high.id, actor="user:ana", reason="ok")
        assert out.state is ExecutionState.BLOCKED and out.blocked_by == "kill_switch"
        assert r.actuator.calls == []


def test_dry_run_decides_and_records_but_never_acts() -> None:
    with rig(limits=Limits(dry_run=True)) as r:
        out = r.executor.submit(request())
        assert out.state is ExecutionState.DRY_RUN and out.decisions[-1].rule == "dry_run"
    with rig() as r:
        assert r.executor.submit(request(dry_run=True)).state is ExecutionState.DRY_RUN
        assert r.actuator.calls == []


def test_a_retried_request_never_runs_twice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    kb = build_knowledge_base(settings)
    with rig(kb=kb) as r:
        first = run(r, r.executor.submit(request(idempotency_key="inc-7:restart")))
        second = r.executor.submit(request(idempotency_key="inc-7:restart"))
        assert second.id == first.id and second.state is ExecutionState.SUCCEEDED
        assert len(r.actuator.calls) == 1
        assert "action.duplicate" in audit_actions(kb)
        with pytest.raises(Conflict, match="different request needs its own key"):
            r.executor.submit(request(target="acme-web-2", idempotency_key="inc-7:restart"))
    with rig(kb=build_knowledge_base(settings)) as r:  # after a restart too
        assert r.executor.submit(request(idempotency_key="inc-7:restart")).id == first.id
        assert r.actuator.calls == []


def test_transient_failures_are_retried_with_a_bound() -> None:
    with rig(transient_failure, transient_failure) as r:
        out = run(r, r.executor.submit(request()))
        assert out.state is ExecutionState.SUCCEEDED and out.attempts == 3
    with rig(transient_failure, transient_failure, transient_failure, transient_failure) as r:
        out = run(r, r.executor.submit(request()))
        assert out.state is ExecutionState.FAILED and out.attempts == 3 and len(r.actuator.calls) == 3
        assert out.verified is None


def test_verification_failure_is_recorded_as_failed_whatever_the_actuator_said() -> None:
    with rig(lambda action: completed(action, health=0.0)) as r:
        out = run(r, r.executor.submit(request()))
        assert out.result is not None and out.result.status == "completed"
        assert out.state is ExecutionState.FAILED and out.verified is False
        assert "health = 0" in (out.verification or "")


def test_an_unobserved_outcome_is_unknown_and_an_observer_overrides_the_actuator() -> None:
    def blind(action: Action) -> ActionResult:
        return completed(action).model_copy(update={"observed": {}})

    with rig(blind) as r:
        assert run(r, r.executor.submit(request())).state is ExecutionState.UNKNOWN
    with rig(observe=lambda hosts: {h: {"health": 0.0} for h in hosts}) as r:
        out = run(r, r.executor.submit(request()))
        assert out.state is ExecutionState.FAILED and out.verified is False


def test_a_hung_actuator_times_out_as_unknown() -> None:
    release, entered = threading.Event(), threading.Event()
    with rig(blocking_actuator(release, entered), limits=Limits(timeout_s=0.05)) as r:
        try:
            out = run(r, r.executor.submit(request()))
            assert out.state is ExecutionState.UNKNOWN and out.attempts == 1
        finally:
            release.set()


def test_the_kill_switch_cancels_in_flight_actions_at_the_next_safe_point() -> None:
    flipped = threading.Event()
    with rig(transient_failure) as r:

        def backoff(seconds: float) -> bool:
            if not flipped.is_set():
                r.switch.set(True, reason="stop all", actor="user:ana")
                flipped.set()
            return False

        r.executor._wait_backoff = backoff  # the seam the constructor takes, set after the rig is built
        out = run(r, r.executor.submit(request()))
        assert out.state is ExecutionState.CANCELLED and out.attempts == 1
        assert "stopped before attempt 2" in r.kb.list_audit(action="action.cancelled").items[0].reason
        assert len(r.actuator.calls) == 1


def test_bad_requests_are_refused_naming_the_field() -> None:
    with rig() as r:
        for bad, field in (
            (request("no_such_action"), "action"),
            (request(target="nowhere-1", tenant="acme"), "target"),
            (request(params={"size": 99}), "params.size"),
            (request(params={"other": 1}), "params.other"),
            (request(tenant="globex"), "tenant"),
            (request("cache_only"), "target"),
        ):
            with pytest.raises(InvalidInput) as error:
                r.executor.submit(bad)
            assert error.value.field == field
        assert r.kb.list_executions().items == []


def test_restart_with_an_action_in_flight_marks_it_unknown_and_never_reruns(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    release, entered = threading.Event(), threading.Event()
    with rig(blocking_actuator(release, entered), kb=build_knowledge_base(settings)) as first:
        try:
            record = first.executor.submit(request())
            assert entered.wait(5)
            # A second process opens the same file while the first is stuck mid-action (as after a crash).
            with rig(kb=build_knowledge_base(settings)) as second:
                recovered = second.executor.get(record.id)
                assert recovered is not None and recovered.state is ExecutionState.UNKNOWN
                assert [r.id for r in second.executor.recovered] == [record.id]
                assert second.actuator.calls == []
                # its start still counts for the cooldown
                again = second.executor.submit(request())
                assert again.blocked_by == "cooldown"
        finally:
            release.set()


def test_restart_finishes_an_action_whose_result_was_recorded(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    kb = build_knowledge_base(settings)
    with rig(kb=kb) as r:
        done = run(r, r.executor.submit(request()))
    stuck = done.model_copy(update={"id": "EXA-stuck", "state": ExecutionState.RUNNING, "finished_at": None})
    kb.save_execution(stuck)
    with rig(kb=build_knowledge_base(settings)) as r:
        out = r.executor.get("EXA-stuck")
        assert out is not None and out.state is ExecutionState.SUCCEEDED and out.verified is True
        assert r.actuator.calls == []

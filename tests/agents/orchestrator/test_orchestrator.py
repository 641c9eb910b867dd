"""The orchestrator: settle, select, decide, act through the Executor, verify by the incident resolving,
record outcomes and selection quality, move to the next candidate on failure, retry refusals later."""

from __future__ import annotations

import random
from datetime import timedelta

from agents.orchestrator import REQUESTER, Orchestrator
from agents.task_ops import SPECS, Proposer
from config.agent_selector import AgentSelector
from config.bedrock_client import TemplateNarrator
from config.learning import LearningLoop
from data.execution import ActionRequest, ExecutionState
from data.models import Risk
from tests.agents.orchestrator.rig import HOST, T0, add_incident, resolve, rig, settle
from tests.config.executor_fixtures import DictInventory


def test_settles_then_selects_and_submits_the_best_remedy_once() -> None:
    r = rig(learning=False)
    add_incident(r.kb, "INC-1", T0)
    assert r.orchestrator.tick() == []  # not settled
    settle(r)
    [record] = r.orchestrator.tick()
    request = record.request
    assert (request.action, request.target, request.requested_by) == ("cleanup_disk", HOST, REQUESTER)
    assert request.incident_id == "INC-1" and request.context["signature"] == "HostDiskSpaceCritical+ProcessCpuRunaway"
    assert r.orchestrator.tick() == []  # in flight: never a second action on the same incident
    body = r.orchestrator.decisions.get("INC-1")
    assert body is not None
    assert body["selection"]["threshold"] == 70.0 and "TaskOps" in body["selection"]["selected"]
    assert body["selection"]["scores"]["AlertOps"] == 100.0 and body["selection"]["reasons"]["TaskOps"]
    assert [p["action"] for p in body["proposals"]][:2] == ["cleanup_disk", "expand_disk"]
    assert body["decision"]["action"] == "cleanup_disk" and body["decision"]["learned"] is False
    assert [s[1] for s in r.steps.steps] == ["agents selected", "action submitted"]


def test_verified_and_resolved_is_a_success_with_time_to_resolve() -> None:
    r = rig()
    add_incident(r.kb, "INC-1", T0)
    settle(r)
    [record] = r.orchestrator.tick()
    r.clock.advance(180)
    r.executor.finish(record, verified=True)
    r.orchestrator.tick()
    assert r.learning.statistics() == []  # verified by the Executor, but the incident is still open
    r.clock.advance(600)
    resolve(r.kb, "INC-1", r.clock.now())
    r.orchestrator.tick()
    [outcome] = r.kb.list_outcomes().items
    assert outcome.verified is True and outcome.actions == ["cleanup_disk"]
    assert outcome.time_to_resolve_s == 15 * 60 and outcome.signature == "HostDiskSpaceCritical+ProcessCpuRunaway"
    [arm] = r.learning.statistics()
    assert (arm.action, arm.successes, arm.failures) == ("cleanup_disk", 1, 0)
    pairs = (r.kb.get_setting("agent_selector") or {})["pairs"]
    assert [useful for _, useful in pairs] == [True]  # TaskOps was selected and its remedy resolved it
    assert r.steps.steps[-1][1:] == ("remedy verified", "verified")
    body = r.orchestrator.decisions.get("INC-1")
    assert body is not None and body["closed"] and body["outcome"]["verified"] is True


def test_a_failed_verification_teaches_and_the_next_candidate_is_tried() -> None:
    r = rig(learning=False)
    add_incident(r.kb, "INC-1", T0)
    settle(r)
    [first] = r.orchestrator.tick()
    r.executor.finish(first, verified=False)
    [second] = r.orchestrator.tick()
    assert second.request.action == "expand_disk"
    [arm] = r.learning.statistics()
    assert (arm.action, arm.successes, arm.failures) == ("cleanup_disk", 0, 1)


def test_verified_but_not_resolved_within_the_window_counts_as_a_failure() -> None:
    r = rig(learning=False, resolve_window_s=600)
    add_incident(r.kb, "INC-1", T0)
    settle(r)
    [first] = r.orchestrator.tick()
    r.executor.finish(first, verified=True)
    r.clock.advance(599)
    assert r.orchestrator.tick() == []
    r.clock.advance(1)
    [second] = r.orchestrator.tick()
    assert second.request.action == "expand_disk"
    [outcome] = r.kb.list_outcomes().items
    assert outcome.verified is False and outcome.time_to_resolve_s is None


def test_a_guardrail_refusal_is_asked_again_after_the_pause_and_teaches_nothing() -> None:
    r = rig(learning=False, retry_after_s=300)
    add_incident(r.kb, "INC-1", T0)
    settle(r)
    r.executor.states = [ExecutionState.BLOCKED]
    assert r.orchestrator.tick()[0].state is ExecutionState.BLOCKED
    r.clock.advance(299)
    assert r.orchestrator.tick() == []
    r.clock.advance(1)
    [again] = r.orchestrator.tick()
    assert again.request.action == "cleanup_disk" and again.state is ExecutionState.RUNNING
    assert r.learning.statistics() == [] and r.kb.list_outcomes().items == []


def test_learning_prefers_what_worked_for_the_signature() -> None:
    r = rig(min_confidence=0.0)  # no bar: this is about the order of the candidates
    for n in range(8):  # cleanup_disk keeps failing on this kind of incident, expand_disk works
        at = T0 + timedelta(hours=7 * n)  # beyond the failure memory, so both stay eligible
        r.clock.set(at)
        add_incident(r.kb, f"INC-{n}", at, host=f"acme-web-{1 + n % 3}")
        settle(r)
        for _ in range(3):
            records = r.orchestrator.tick()
            if not records:
                break
            [record] = records
            works = record.request.action == "expand_disk"
            r.executor.finish(record, verified=works)
            if works:
                resolve(r.kb, f"INC-{n}", r.clock.now())
                r.orchestrator.tick()
                break
    arms = {a.action: a for a in r.learning.statistics()}
    assert arms["expand_disk"].successes >= 3
    last = [req.action for req in r.executor.requests if req.incident_id == "INC-7"]
    assert last == ["expand_disk"]  # tried first once the record says so


def test_an_open_risk_on_the_root_host_raises_the_matching_remedy() -> None:
    r = rig(learning=False)
    add_incident(r.kb, "INC-1", T0)
    risk = Risk(
        id="RISK-1", host=HOST, metric="disk", threshold=95, eta=T0 + timedelta(hours=2), probability=0.9,
        recommended_action="cleanup_disk", created_at=T0,
    )  # fmt: skip
    r.kb.save_risk(risk)
    settle(r)
    r.orchestrator.tick()
    body = r.orchestrator.decisions.get("INC-1")
    assert body is not None
    cleanup = next(p for p in body["proposals"] if p["action"] == "cleanup_disk")
    assert cleanup["expected_benefit"] > cleanup["proposer_confidence"]
    assert any(e.startswith("PredictiveOps:") for e in cleanup["evidence"])
    assert body["selection"]["scores"]["PredictiveOps"] == 90.0


def test_a_recent_patch_selects_patchops_which_pauses_roll_outs_on_the_host() -> None:
    r = rig(learning=False)
    add_incident(r.kb, "INC-0", T0 - timedelta(hours=1))
    patch = ActionRequest(
        action="apply_patch", target=HOST, tenant="acme", reason="roll-out", requested_by="agent:PatchOps"
    )
    r.executor.submit(patch)
    add_incident(r.kb, "INC-1", T0, alerts=[("HostDiskSpaceCritical", "critical")])
    settle(r)
    r.orchestrator.tick()
    body = r.orchestrator.decisions.get("INC-1")
    assert body is not None and "PatchOps" in body["selection"]["selected"]
    assert r.rollouts.paused and body["paused_rollouts"] == ["PLAN-1"]


def test_disabled_submits_nothing() -> None:
    r = rig(enabled=lambda: False)
    add_incident(r.kb, "INC-1", T0)
    r.clock.advance(3600)
    assert r.orchestrator.tick() == [] and r.executor.requests == []


def test_resolved_without_an_action_is_a_baseline_outcome_and_narrated() -> None:
    r = rig(min_confidence=0.99)  # nothing is confident enough to try
    r.orchestrator.close()
    narrated = Orchestrator(
        r.kb, r.executor, Proposer(SPECS, DictInventory(), lambda key: None), AgentSelector(r.kb, learning=True),
        LearningLoop(r.kb, enabled=True, rng=random.Random(1)), r.clock.now, narrator=TemplateNarrator(),
        min_confidence=0.99,
    )  # fmt: skip
    add_incident(r.kb, "INC-1", T0)
    settle(r)
    assert narrated.tick() == []
    resolve(r.kb, "INC-1", r.clock.now())
    narrated.tick()
    narrated.close()  # waits for the narration thread
    [outcome] = r.kb.list_outcomes().items
    assert outcome.actions == [] and outcome.verified is None and outcome.time_to_resolve_s == 120
    body = narrated.decisions.get("INC-1")
    assert body is not None and body["narrative"]["source"] == "template" and body["narrative"]["summary"]


def test_a_remedy_that_keeps_failing_on_the_signature_is_no_longer_tried_with_learning_on() -> None:
    from data.models import OutcomeRecord

    for learning, expected in ((True, []), (False, ["cleanup_disk"])):
        r = rig(learning=learning, min_confidence=0.3)
        signature = "HostDiskSpaceCritical+ProcessCpuRunaway"
        for n in range(20):
            r.learning.record(
                OutcomeRecord(
                    incident_id=f"OLD-{n}",
                    status="resolved",
                    signature=signature,
                    actions=["cleanup_disk"],
                    verified=False,
                    timestamp=T0 - timedelta(days=1, minutes=n),
                )
            )
        for n in range(20):
            r.learning.record(
                OutcomeRecord(
                    incident_id=f"OLDX-{n}",
                    status="resolved",
                    signature=signature,
                    actions=["expand_disk"],
                    verified=False,
                    timestamp=T0 - timedelta(days=2, minutes=n),
                )
            )
        add_incident(r.kb, "INC-1", T0)
        settle(r)
        assert [rec.request.action for rec in r.orchestrator.tick()] == expected
        body = r.orchestrator.decisions.get("INC-1")
        assert body is not None
        cleanup = next(p for p in body["proposals"] if p["action"] == "cleanup_disk")
        if learning:  # the record lowers the expected benefit, and with it TaskOps' relevance
            assert cleanup["expected_benefit"] < 0.1 < cleanup["prior"]
            assert "TaskOps" not in body["selection"]["selected"]
        else:
            assert cleanup["expected_benefit"] == cleanup["prior"] and body["decision"]["learned"] is False

"""PatchOpsRollouts pauses the running plans that include the host, and leaves the others alone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from agents.orchestrator import PatchOpsRollouts
from data.errors import Conflict
from data.models import CanaryPhase, PatchPlan

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def plan(plan_id: str, hosts: list[str]) -> PatchPlan:
    return PatchPlan.model_validate(
        {"id": plan_id, "name": plan_id, "package": "openssl", "fixed_version": "3.0.2", "systems": len(hosts),
         "risk_score": 0.2, "canary_phases": [CanaryPhase(name="canary", hosts=hosts[:1]).model_dump()],
         "affected_hosts": [{"host": h, "tenant": "acme", "wave": 0} for h in hosts], "created_at": T0}
    )  # fmt: skip


class Commands:
    def __init__(self) -> None:
        self.plans = [plan("P-1", ["h1", "h2"]), plan("P-2", ["h3"]), plan("P-3", ["h1"])]
        self.paused: list[tuple[str, str]] = []

    def open_plans(self) -> Iterable[PatchPlan]:
        return list(self.plans)

    def pause(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan:
        if plan_id == "P-3":
            raise Conflict("P-3 is paused: only a running roll-out can be paused")
        self.paused.append((plan_id, actor))
        return next(p for p in self.plans if p.id == plan_id)


def test_only_running_plans_with_the_host_are_paused() -> None:
    commands = Commands()
    assert PatchOpsRollouts(commands).pause_on_host("h1", reason="incident INC-1 on this host") == ["P-1"]
    assert commands.paused == [("P-1", "agent:Orchestrator")]
    assert PatchOpsRollouts(commands).pause_on_host("h9", reason="x") == []

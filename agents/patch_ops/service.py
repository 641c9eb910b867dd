"""PatchOps: advisories in, plans out, roll-outs advanced on each tick, operator commands on plans.

`PatchOps.tick` is the one writer of roll-out progress (the composition root calls it from a periodic
worker); commands from the API take the same lock, so a pause never interleaves with a host step.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterator

from agents.patch_ops.planner import build_plan
from agents.patch_ops.rollout import RUNNING_STATES, TERMINAL, RolloutEngine
from config.knowledge_base import KnowledgeBase
from data.advisories import Advisory, AdvisoryIn
from data.errors import Conflict, NotFound
from data.models import LogType, PatchPlan, RolloutState

log = logging.getLogger(__name__)

S = RolloutState
ACTIVE = (*sorted(RUNNING_STATES), S.PAUSED)


class PatchOps:
    """See the module docstring. ``engine`` holds the collaborators; ``kb`` stores advisories and plans."""

    name = "PatchOps"

    def __init__(self, kb: KnowledgeBase, engine: RolloutEngine) -> None:
        self.kb = kb
        self.engine = engine
        self._inbox: deque[Advisory] = deque()
        self._inbox_lock = threading.Lock()
        self.ticks = 0

    # ------------------------------------------------------------------------------------------ advisories

    def receive(self, advisory: Advisory) -> None:
        """Queue an advisory from a feed (safe to call from any thread, cheap: planning happens on `tick`)."""
        with self._inbox_lock:
            self._inbox.append(advisory)

    def add_advisory(self, advisory_in: AdvisoryIn) -> Advisory:
        """Store an operator's advisory; Conflict when that id exists with different content."""
        now = self.engine.clock.now()
        advisory = Advisory(
            **advisory_in.model_dump(exclude={"published_at"}),
            published_at=advisory_in.published_at or now,
            source="api",
        )
        with self.engine.lock:
            stored = self.kb.get_advisory(advisory.id)
            if stored is not None:
                if stored.model_dump(exclude={"affected_hosts", "source"}) != advisory.model_dump(
                    exclude={"affected_hosts", "source"}
                ):
                    raise Conflict(f"advisory {advisory.id} exists with different content")
                return stored
            self.kb.save_advisory(advisory)
        return advisory

    # ------------------------------------------------------------------------------------------ plans

    def create_plan(self, advisory_id: str, *, actor: str) -> PatchPlan:
        """Plan a roll-out for a stored advisory (draft, or approved when policy allows).

        NotFound for an unknown advisory; Conflict when a plan for it is still open or no host is affected."""
        with self.engine.lock:
            advisory = self.kb.get_advisory(advisory_id)
            if advisory is None:
                raise NotFound(f"no advisory {advisory_id!r}")
            open_plans = [p for p in self._plans_for(advisory_id) if p.state not in TERMINAL]
            if open_plans:
                raise Conflict(f"plan {open_plans[0].id} for {advisory_id} is still {open_plans[0].state.value}")
            plan = build_plan(
                plan_id=f"PLAN-{uuid.uuid4().hex[:8]}",
                advisory=advisory,
                hosts=self.engine.inventory.hosts(),
                policy=self.engine.policy,
                now=self.engine.clock.now(),
            )
            self.engine.transition(plan, S.DRAFT, reason=f"planned from {advisory_id} by {actor}", actor=actor)
            threshold = self.engine.policy.auto_approve_min_cvss
            if threshold is not None and advisory.cvss >= threshold:
                plan.approved_by = "policy"
                self.engine.transition(plan, S.APPROVED, reason=f"policy: CVSS {advisory.cvss} >= {threshold}")
            return plan

    def _plans_for(self, advisory_id: str) -> list[PatchPlan]:
        return self.kb.list_patch_plans(advisory_id=advisory_id, limit=100).items

    def get(self, plan_id: str) -> PatchPlan:
        plan = self.kb.get_patch_plan(plan_id)
        if plan is None:
            raise NotFound(f"no patch plan {plan_id!r}")
        return plan

    def approve(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan:
        """Approve a draft (or accept an inconclusive analysis and go on); Conflict in any other state."""
        with self.engine.lock:
            plan = self.get(plan_id)
            if plan.state is S.DRAFT:
                plan.approved_by = actor
                self.engine.transition(plan, S.APPROVED, reason=reason or "approved", actor=actor)
                return plan
            if plan.state is S.PAUSED and plan.pause_kind == "approval":
                return self._accept_inconclusive(plan, actor=actor, reason=reason)
            raise Conflict(f"{plan_id} is {plan.state.value}: only a draft or an inconclusive check can be approved")

    def _accept_inconclusive(self, plan: PatchPlan, *, actor: str, reason: str) -> PatchPlan:
        if self.engine.kill_switch_active():
            raise Conflict("the kill switch is active: nothing resumes until it is released")
        self.engine.pass_phase(plan, f"accepted by {actor}: {reason or 'inconclusive analysis'}", actor=actor)
        return plan

    def pause(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan:
        with self.engine.lock:
            plan = self.get(plan_id)
            if plan.state not in RUNNING_STATES:
                raise Conflict(f"{plan_id} is {plan.state.value}: only a running roll-out can be paused")
            why = reason or "paused by an operator"
            self.engine.transition(plan, S.PAUSED, reason=why, actor=actor, kind="operator")
            return plan

    def resume(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan:
        """Resume a paused roll-out where it stopped; Conflict when not paused or the kill switch is on."""
        with self.engine.lock:
            plan = self.get(plan_id)
            if plan.state is not S.PAUSED or plan.paused_from is None:
                raise Conflict(f"{plan_id} is {plan.state.value}, not paused")
            if self.engine.kill_switch_active():
                raise Conflict("the kill switch is active: nothing resumes until it is released")
            if plan.pause_kind == "approval":
                return self._accept_inconclusive(plan, actor=actor, reason=reason)
            self.engine.transition(plan, plan.paused_from, reason=reason or "resumed by an operator", actor=actor)
            return plan

    def rollback(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan:
        """Roll back every host the plan patched (also after completion); Conflict once rolled back or failed."""
        with self.engine.lock:
            plan = self.get(plan_id)
            if plan.state in (S.ROLLED_BACK, S.FAILED, S.ROLLING_BACK):
                raise Conflict(f"{plan_id} is {plan.state.value}")
            self.engine.transition(plan, S.ROLLING_BACK, reason=reason or "rollback requested", actor=actor)
            return plan

    # ------------------------------------------------------------------------------------------ running

    def tick(self) -> None:
        """Plan queued advisories, then advance every open plan as far as it can go now."""
        self.ticks += 1
        with self._inbox_lock:
            arrived = list(self._inbox)
            self._inbox.clear()
        for advisory in arrived:
            self.kb.save_advisory(advisory)
            try:
                self.create_plan(advisory.id, actor="agent:PatchOps")
            except Conflict as refused:
                log.info("Advisory %s not planned: %s", advisory.id, refused, extra={"log_type": LogType.PATCHOPS})
        for plan in list(self.open_plans()):
            with self.engine.lock:  # read again under the lock: a command may have changed it since the listing
                fresh = self.kb.get_patch_plan(plan.id)
                if fresh is not None:
                    self.engine.advance(fresh)

    def open_plans(self) -> Iterator[PatchPlan]:
        """Yield every plan that may still move (running or paused), oldest first."""
        plans: list[PatchPlan] = []
        for state in ACTIVE:
            cursor: str | None = None
            while True:
                page = self.kb.list_patch_plans(state=state.value, limit=200, cursor=cursor)
                plans.extend(page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
        yield from sorted(plans, key=lambda p: (p.created_at, p.id))

    def pending_count(self) -> int:
        """Return how many plans are waiting or in progress (draft, approved, running, paused)."""
        kb = self.kb
        return sum(kb.count_patch_plans(state=s.value) for s in (S.DRAFT, *ACTIVE))

    def success_rate(self) -> float | None:
        """Return the % of finished roll-outs that completed (None before any finished)."""
        done = self.kb.count_patch_plans(state=S.COMPLETED.value)
        undone = sum(self.kb.count_patch_plans(state=s.value) for s in (S.ROLLED_BACK, S.FAILED))
        return None if done + undone == 0 else round(100 * done / (done + undone), 2)

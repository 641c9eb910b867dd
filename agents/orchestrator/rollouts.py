"""An incident on a host pauses the patch roll-outs that include it, through PatchOps' public commands."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from data.errors import Conflict
from data.models import LogType, PatchPlan

log = logging.getLogger(__name__)


class PatchCommands(Protocol):
    """What PatchOps offers every caller: its open plans and the pause command."""

    def open_plans(self) -> Iterable[PatchPlan]: ...
    def pause(self, plan_id: str, *, actor: str, reason: str) -> PatchPlan: ...


class PatchOpsRollouts:
    """`Rollouts` over PatchOps: pauses each running plan whose hosts include the incident's host."""

    def __init__(self, patch_ops: PatchCommands, actor: str = "agent:Orchestrator") -> None:
        self._patch_ops = patch_ops
        self._actor = actor

    def pause_on_host(self, host: str, *, reason: str) -> list[str]:
        """Return the ids of the plans paused now (a plan already paused or not running is left as it is)."""
        paused = []
        for plan in self._patch_ops.open_plans():
            hosts = {item.host for item in plan.affected_hosts}
            hosts |= {h for phase in plan.canary_phases for h in phase.hosts}
            if host not in hosts:
                continue
            try:
                self._patch_ops.pause(plan.id, actor=self._actor, reason=reason)
            except Conflict:
                continue
            paused.append(plan.id)
            log.info("Roll-out %s paused: %s", plan.id, reason, extra={"log_type": LogType.INFO})
        return paused

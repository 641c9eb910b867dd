"""The services every autonomous action passes through, built together: audit log, approvals, silences,
the per-tenant actuators, and the sweeper that expires overdue approvals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.actuators import ActuatorRegistry
from config.approvals import ApprovalStore
from config.audit import AuditLog
from config.knowledge_base import KnowledgeBase
from config.periodic import PeriodicWorker
from config.settings import Settings
from config.silences import SilenceStore
from data.actuation import FleetActuator
from data.timeutil import utc_now


@dataclass(frozen=True)
class Safety:
    audit: AuditLog
    approvals: ApprovalStore
    silences: SilenceStore
    actuators: ActuatorRegistry
    approval_sweeper: PeriodicWorker  # started and stopped by the owner (the app's lifespan)


def build_safety(
    kb: KnowledgeBase, settings: Settings, simulated: FleetActuator, now: Callable[[], datetime] = utc_now
) -> Safety:
    """Return the safety services over ``kb`` configured by ``settings``; ``simulated`` acts on the simulated
    fleet; approvals expire on the ``now`` clock, the Executor's (sim time when simulated)."""
    audit = AuditLog(kb)
    approvals = ApprovalStore(kb, audit, ttl=timedelta(seconds=settings.APPROVAL_TTL_S), now=now)

    def sweep() -> None:
        approvals.expire()

    return Safety(
        audit=audit,
        approvals=approvals,
        silences=SilenceStore(kb, audit, refresh_s=settings.SILENCE_CACHE_S),
        actuators=ActuatorRegistry(settings.ACTUATORS, simulated),
        approval_sweeper=PeriodicWorker("approvals", settings.APPROVAL_SWEEP_S, sweep),
    )

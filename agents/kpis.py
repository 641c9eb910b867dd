"""The dashboard's KPI figures, each computed from recorded facts, or None while it cannot be.

The seed's six keys are kept. A figure whose subsystem does not exist yet, or that has no data
yet, is None ("not enough data yet"), never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from config.knowledge_base import KnowledgeBase
from data.execution import ExecutionState
from data.models import IncidentStatus

ACTIVE_STATUSES = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATING)


@dataclass(frozen=True)
class Kpis:
    alertsReduced: float | None
    mttrReduction: float | None
    tasksAutomated: int | None
    activeIncidents: int | None
    patchesPending: int | None
    upcomingRisks: int | None


def active_incident_count(kb: KnowledgeBase) -> int:
    """Return how many stored incidents are not resolved."""
    return sum(kb.count_incidents(status=status) for status in ACTIVE_STATUSES)


def compute_kpis(
    kb: KnowledgeBase,
    *,
    alerts_reduced: float | None,
    upcoming_risks: int | None,
    tasks_automated: int | None = None,
) -> Kpis:
    """Return the KPI figures; the callers pass what their engines measured (None when they cannot yet).

    ``tasksAutomated`` is `automated_task_count` when an Executor runs (None otherwise: a count of zero
    would claim a subsystem ran). ``mttrReduction`` stays None: incidents fixed autonomously and those
    left alone are different faults, so their MTTRs do not make a baseline (bench/remediation.py
    compares the same simulated day with and without autonomy instead). ``patchesPending`` waits for PatchOps.
    """
    return Kpis(
        alertsReduced=alerts_reduced,
        mttrReduction=None,
        tasksAutomated=tasks_automated,
        activeIncidents=active_incident_count(kb),
        patchesPending=None,
        upcomingRisks=upcoming_risks,
    )


AUTOMATED_WINDOW = timedelta(hours=24)


def automated_task_count(kb: KnowledgeBase, now: datetime, window: timedelta = AUTOMATED_WINDOW) -> int:
    """Return how many actions an agent requested and no person approved were verified successful, among
    those created in ``window`` before ``now`` (the Executor's clock: sim time when simulated)."""
    return sum(
        1
        for r in kb.iter_executions(state=ExecutionState.SUCCEEDED.value, since=now - window)
        if r.verified and r.approved_by is None and r.request.requested_by.startswith("agent:")
    )

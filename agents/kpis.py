"""The dashboard's KPI figures, each computed from recorded facts, or None while it cannot be.

The seed's six keys are kept. A figure whose subsystem does not exist yet, or that has no data
yet, is None ("not enough data yet"), never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.knowledge_base import KnowledgeBase
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
    patches_pending: int | None = None,
) -> Kpis:
    """Return the KPI figures; the callers pass what their engines measured (None when they cannot yet).

    ``mttrReduction`` and ``tasksAutomated`` stay None until remediation records outcomes: a reduction
    needs a stated baseline, and a count of zero would claim that a subsystem ran when it does not
    exist yet. ``patchesPending`` is PatchOps' count of plans not finished (None without PatchOps).
    """
    return Kpis(
        alertsReduced=alerts_reduced,
        mttrReduction=None,
        tasksAutomated=None,
        activeIncidents=active_incident_count(kb),
        patchesPending=patches_pending,
        upcomingRisks=upcoming_risks,
    )

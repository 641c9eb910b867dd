"""The dashboard's KPI figures, each computed from recorded facts, or None while it cannot be.

The seed's six keys are kept. A figure whose subsystem does not exist yet, or that has no data
yet, is None ("not enough data yet"), never a made-up number.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.knowledge_base import KnowledgeBase
from data.execution import ExecutionState
from data.models import IncidentStatus, OutcomeRecord

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
    mttr_reduction: float | None = None,
    patches_pending: int | None = None,
) -> Kpis:
    """Return the KPI figures; the callers pass what their engines measured (None when they cannot yet).

    ``tasksAutomated`` is `automated_task_count` when an Executor runs (None otherwise: a count of zero
    would claim a subsystem ran). ``mttrReduction`` is `mttr_reduction` over the recorded outcomes (None
    without a baseline). ``patchesPending`` is PatchOps' count of plans not finished (None without PatchOps).
    """
    return Kpis(
        alertsReduced=alerts_reduced,
        mttrReduction=mttr_reduction,
        tasksAutomated=tasks_automated,
        activeIncidents=active_incident_count(kb),
        patchesPending=patches_pending,
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


MTTR_HISTORY = 5_000


def mttr_reduction(outcomes: Iterable[OutcomeRecord]) -> float | None:
    """Return the % by which auto-remediated incidents resolved faster than comparable ones nothing acted on.

    Comparable = the same signature (the root's alert names). Auto-remediated: an outcome with an action
    that was verified and a time to resolve; baseline: an outcome with no action and a time to resolve.
    Per signature with both, the mean times are weighted by the auto-remediated count; None when no
    signature has both (no baseline), never a number from unlike incidents.
    """
    auto: dict[str, list[float]] = {}
    base: dict[str, list[float]] = {}
    for o in outcomes:
        if o.signature is None or o.time_to_resolve_s is None:
            continue
        if o.actions and o.verified:
            auto.setdefault(o.signature, []).append(o.time_to_resolve_s)
        elif not o.actions:
            base.setdefault(o.signature, []).append(o.time_to_resolve_s)
    auto_total = base_total = 0.0
    for signature, times in auto.items():
        if signature in base:
            auto_total += sum(times)
            base_total += len(times) * statistics.fmean(base[signature])
    if base_total <= 0:
        return None
    return round(100.0 * (1.0 - auto_total / base_total), 1)


def recent_outcomes(kb: KnowledgeBase, limit: int = MTTR_HISTORY) -> list[OutcomeRecord]:
    """Return the newest ``limit`` recorded outcomes."""
    found: list[OutcomeRecord] = []
    cursor: str | None = None
    while len(found) < limit:
        page = kb.list_outcomes(limit=min(500, limit - len(found)), cursor=cursor)
        found.extend(page.items)
        if (cursor := page.next_cursor) is None:
            break
    return found

"""`GET /api/metrics`: the dashboard's KPI cards (the seed's six keys; null = not enough data yet)."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from agents.kpis import compute_kpis
from api.deps import KbDep

router = APIRouter(prefix="/api", tags=["metrics"])


class AlertReduction(Protocol):
    def alerts_reduced(self) -> float | None: ...


class RiskCount(Protocol):
    def open_risk_count(self) -> int | None: ...


class PatchCount(Protocol):
    def pending_count(self) -> int: ...


class MetricsOut(BaseModel):
    alertsReduced: float | None = Field(
        description="% of distinct alerts (fingerprints) that joined an existing incident instead of opening one"
    )
    mttrReduction: float | None = Field(description="MTTR reduction against a stated baseline; null until measurable")
    tasksAutomated: int | None = Field(description="remediation actions executed successfully; null until TaskOps runs")
    activeIncidents: int | None = Field(description="incidents not yet resolved")
    patchesPending: int | None = Field(
        description="patch plans not finished (draft, approved, rolling out or paused); null without PatchOps"
    )
    upcomingRisks: int | None = Field(description="open predicted threshold crossings")


@router.get("/metrics", response_model=MetricsOut)
def get_metrics(request: Request, kb: KbDep) -> MetricsOut:
    alert_ops: AlertReduction | None = getattr(request.app.state, "alert_ops", None)
    predictive: RiskCount | None = getattr(request.app.state, "predictive_ops", None)
    patch_ops: PatchCount | None = getattr(request.app.state, "patch_ops", None)
    kpis = compute_kpis(
        kb,
        alerts_reduced=alert_ops.alerts_reduced() if alert_ops else None,
        upcoming_risks=predictive.open_risk_count() if predictive else None,
        patches_pending=patch_ops.pending_count() if patch_ops else None,
    )
    return MetricsOut(**kpis.__dict__)

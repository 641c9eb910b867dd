"""Metrics: the dashboard's KPI cards (`GET /api/metrics`, the seed's six keys; null = not enough data
yet) and metric sample ingestion (`POST /api/metrics/samples`)."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from agents.kpis import automated_task_count, compute_kpis, mttr_reduction, recent_outcomes
from api.deps import AlertOpsDep, Authorized, ExecutorDep, KbDep, PredictiveDep
from data.models import MetricSampleIn

router = APIRouter(prefix="/api", tags=["metrics"])


class MetricsOut(BaseModel):
    alertsReduced: float | None = Field(
        description="% of distinct alerts (fingerprints) that joined an existing incident instead of opening one"
    )
    mttrReduction: float | None = Field(
        description="% by which incidents auto-remediated (a verified orchestrator action) resolved faster than "
        "incidents of the same signature nothing acted on, over the newest 5000 recorded outcomes; "
        "null without such a baseline"
    )
    tasksAutomated: int | None = Field(
        description="actions an agent requested and no person approved that were verified successful, "
        "created in the last 24 h of the Executor's clock (sim time when simulated)"
    )
    activeIncidents: int | None = Field(description="incidents not yet resolved")
    patchesPending: int | None = Field(description="patch plans pending or in progress; null until PatchOps runs")
    upcomingRisks: int | None = Field(description="open predicted threshold crossings")


class SamplesIn(BaseModel):
    samples: list[MetricSampleIn] = Field(min_length=1, max_length=50_000)


class AcceptedOut(BaseModel):
    accepted: int


@router.get("/metrics", response_model=MetricsOut)
def get_metrics(kb: KbDep, alert_ops: AlertOpsDep, predictive: PredictiveDep, executor: ExecutorDep) -> MetricsOut:
    kpis = compute_kpis(
        kb,
        alerts_reduced=alert_ops.alerts_reduced(),
        upcoming_risks=predictive.open_risk_count(),
        tasks_automated=automated_task_count(kb, executor.now()),
        mttr_reduction=mttr_reduction(recent_outcomes(kb)),
    )
    return MetricsOut(**kpis.__dict__)


@router.post(
    "/metrics/samples", response_model=AcceptedOut, status_code=status.HTTP_202_ACCEPTED, dependencies=[Authorized]
)
def post_samples(body: SamplesIn, engine: PredictiveDep) -> AcceptedOut:
    engine.store.ingest_samples(body.samples)
    return AcceptedOut(accepted=len(body.samples))

"""Metrics: the dashboard's KPI cards (`GET /api/metrics`, the seed's six keys; null = not enough data
yet), metric sample ingestion (`POST /api/metrics/samples`, JSON) and Prometheus remote-write
(`POST /api/metrics/remote-write`, snappy-compressed protobuf, as Prometheus' `remote_write` sends it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from agents.kpis import automated_task_count, compute_kpis, mttr_reduction, recent_outcomes
from api.deps import (
    AlertOpsDep,
    ApiMetricsDep,
    Authorized,
    ExecutorDep,
    KbDep,
    PatchOpsDep,
    PredictiveDep,
    RemoteWriteDep,
    SettingsDep,
)
from data.models import MetricSampleIn
from data.remote_write import decode

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
    patchesPending: int | None = Field(
        description="patch plans not finished (draft, approved, rolling out or paused); null without PatchOps"
    )
    upcomingRisks: int | None = Field(description="open predicted threshold crossings")


class SamplesIn(BaseModel):
    samples: list[MetricSampleIn] = Field(min_length=1, max_length=50_000)


class AcceptedOut(BaseModel):
    accepted: int


class RemoteWriteOut(BaseModel):
    accepted: int = Field(description="samples stored")
    skipped_nonfinite: int = Field(description="NaN/Inf samples (Prometheus' staleness markers) not stored")
    skipped_unnamed: int = Field(description="samples of series without a host|instance or metric|__name__ label")


async def raw_body(request: Request) -> bytes:
    """Return the request body as bytes (read on the event loop; the body-size limit applies)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
REMOTE_WRITE_BODY = {
    "requestBody": {
        "required": True,
        "description": "a snappy-compressed (block format) protobuf prometheus.WriteRequest",
        "content": {"application/x-protobuf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/metrics", response_model=MetricsOut)
def get_metrics(
    kb: KbDep, alert_ops: AlertOpsDep, predictive: PredictiveDep, executor: ExecutorDep, patch_ops: PatchOpsDep
) -> MetricsOut:
    kpis = compute_kpis(
        kb,
        alerts_reduced=alert_ops.alerts_reduced(),
        upcoming_risks=predictive.open_risk_count(),
        tasks_automated=automated_task_count(kb, executor.now()),
        mttr_reduction=mttr_reduction(recent_outcomes(kb)),
        patches_pending=patch_ops.pending_count(),
    )
    return MetricsOut(**kpis.__dict__)


@router.post(
    "/metrics/samples", response_model=AcceptedOut, status_code=status.HTTP_202_ACCEPTED, dependencies=[Authorized]
)
def post_samples(body: SamplesIn, sink: ApiMetricsDep) -> AcceptedOut:
    sink.ingest_samples(body.samples)
    return AcceptedOut(accepted=len(body.samples))


@router.post(
    "/metrics/remote-write", response_model=RemoteWriteOut, status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Authorized], openapi_extra=REMOTE_WRITE_BODY,
    responses={422: {"description": "the body is not snappy-compressed remote-write protobuf, or over the limits"}},
)  # fmt: skip
def post_remote_write(body: RawBody, sink: RemoteWriteDep, settings: SettingsDep) -> RemoteWriteOut:
    decoded = decode(body, max_bytes=settings.REMOTE_WRITE_MAX_BYTES, max_samples=settings.REMOTE_WRITE_MAX_SAMPLES)
    sink.ingest_samples(decoded.samples)
    return RemoteWriteOut(
        accepted=len(decoded.samples), skipped_nonfinite=decoded.skipped_nonfinite,
        skipped_unnamed=decoded.skipped_unnamed,
    )  # fmt: skip

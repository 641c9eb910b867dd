"""Alert ingestion over HTTP: the Prometheus Alertmanager webhook (v4) and a generic batch API.

Both paths call the same engine method the simulator uses in-process. A 2xx means every alert of the
request is stored. When too many batches are already being processed the request gets 429 with
``Retry-After`` instead of waiting without bound; nothing is dropped silently.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.alert_ops import AlertOps, IngestResult
from api.deps import Authorized
from data.errors import Overloaded
from data.models import AlertIn, AlertState
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["ingest"])

MAX_ALERTS_PER_REQUEST = 10_000
SLOT_WAIT_S = 0.5


def get_alert_ops(request: Request) -> AlertOps:
    engine: AlertOps = request.app.state.alert_ops
    return engine


def ingest_slot(request: Request) -> Iterator[None]:
    """Hold one of the bounded ingest slots for the request, or refuse with 429 when none frees up soon."""
    slots: threading.BoundedSemaphore = request.app.state.ingest_slots
    if not slots.acquire(timeout=SLOT_WAIT_S):
        raise Overloaded("ingest queue is full; retry shortly", retry_after=1.0)
    try:
        yield
    finally:
        slots.release()


AlertOpsDep = Annotated[AlertOps, Depends(get_alert_ops)]


class WebhookAlert(BaseModel):
    """One alert of an Alertmanager webhook notification."""

    model_config = ConfigDict(extra="ignore")

    status: AlertState
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: UtcDatetime
    endsAt: UtcDatetime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = Field(default=None, max_length=128)

    @field_validator("endsAt", mode="before")
    @classmethod
    def _zero_time_is_none(cls, value: object) -> object:
        # Alertmanager sends 0001-01-01T00:00:00Z for "no end yet".
        if isinstance(value, str) and value.startswith("0001-01-01"):
            return None
        if isinstance(value, datetime) and value.year == 1:
            return None
        return value


class AlertmanagerWebhook(BaseModel):
    """The Alertmanager webhook payload, version 4."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"] = "4"
    receiver: str = ""
    status: AlertState
    alerts: list[WebhookAlert] = Field(max_length=MAX_ALERTS_PER_REQUEST)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    groupKey: str = ""
    truncatedAlerts: int = Field(default=0, ge=0)


class IngestOut(BaseModel):
    accepted: int
    new_alerts: int
    incidents_opened: int
    incidents_touched: int


def _out(result: IngestResult) -> IngestOut:
    return IngestOut(
        accepted=result.accepted,
        new_alerts=result.new_alerts,
        incidents_opened=result.incidents_opened,
        incidents_touched=result.incidents_touched,
    )


@router.post(
    "/ingest/alertmanager",
    response_model=IngestOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Authorized, Depends(ingest_slot)],
)
def ingest_alertmanager(payload: AlertmanagerWebhook, engine: AlertOpsDep) -> IngestOut:
    # WebhookAlert has already validated every field AlertIn declares, with the same constraints: no second pass.
    alerts = [
        AlertIn.model_construct(
            labels=a.labels, annotations=a.annotations, status=a.status, startsAt=a.startsAt, endsAt=a.endsAt,
            generatorURL=a.generatorURL, fingerprint=a.fingerprint, source="alertmanager",
        )
        for a in payload.alerts
    ]  # fmt: skip
    return _out(engine.ingest(alerts))


@router.post(
    "/alerts",
    response_model=IngestOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Authorized, Depends(ingest_slot)],
)
def ingest_generic(
    alerts: Annotated[list[AlertIn], Field(min_length=1, max_length=MAX_ALERTS_PER_REQUEST)], engine: AlertOpsDep
) -> IngestOut:
    return _out(engine.ingest(alerts))

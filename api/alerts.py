"""Alerts: the stored alerts with filters and cursor pagination, and alert ingestion over HTTP (the
Prometheus Alertmanager webhook, v4, and a generic batch API).

Both paths call the same engine method the simulator uses in-process. A 2xx means every alert of the
request is stored. When too many batches are already being processed the request gets 429 with
``Retry-After`` instead of waiting without bound; nothing is dropped silently.

The request body is validated in one pass from its JSON text into the engine's input models
(`api.json_body`), in the worker thread that then ingests it, rather than decoded into Python objects by
the framework and validated a second time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from agents.alert_ops import AlertOps, IngestResult
from api.deps import AlertOpsDep, Authorized, KbDep
from api.json_body import JsonBody, openapi_request_body, read_json_body, validate_body
from data.errors import Overloaded
from data.models import Alert, AlertIn, AlertState
from data.timeutil import utc_now

router = APIRouter(prefix="/api", tags=["alerts"])

MAX_ALERTS_PER_REQUEST = 10_000
SLOT_WAIT_S = 0.5
SLOT_POLL_S = 0.005
WEBHOOK_SOURCE = "alertmanager"


async def ingest_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the bounded ingest slots for the request, or refuse with 429 when none frees up soon."""
    slots: threading.BoundedSemaphore = request.app.state.ingest_slots
    # A full queue is waited on by polling on the loop, not by a blocking acquire in a worker thread: a request
    # cancelled while it waits then never holds a slot it cannot release (a thread's acquire would complete
    # after the cancellation and leak the slot for good).
    deadline = time.monotonic() + SLOT_WAIT_S
    while not slots.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise Overloaded("ingest queue is full; retry shortly", retry_after=1.0)
        await asyncio.sleep(SLOT_POLL_S)
    try:
        yield
    finally:
        slots.release()


# Parameters are solved in order: the body is read before a slot is taken, so a slow sender holds no slot.
RequestBody = Annotated[JsonBody, Depends(read_json_body)]
IngestSlot = Annotated[None, Depends(ingest_slot)]


class WebhookAlert(AlertIn):
    """One alert of an Alertmanager webhook notification, validated straight into the engine's input type.

    The webhook format has no ``source``: whatever a sender puts there is ignored, and every alert is
    recorded as from ``alertmanager``. Its zero ``endsAt`` (no end yet) is `AlertIn`'s."""

    status: AlertState
    source: SkipJsonSchema[Any] = WEBHOOK_SOURCE

    def model_post_init(self, context: Any, /) -> None:
        # The default is already right; only a sender's own "source" is overwritten (no second validation).
        if self.source != WEBHOOK_SOURCE:
            self.source = WEBHOOK_SOURCE


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


GENERIC_BODY: TypeAdapter[list[AlertIn]] = TypeAdapter(
    Annotated[list[AlertIn], Field(min_length=1, max_length=MAX_ALERTS_PER_REQUEST, title="Alerts")]
)
WEBHOOK_BODY: TypeAdapter[AlertmanagerWebhook] = TypeAdapter(AlertmanagerWebhook)


class AlertPage(BaseModel):
    items: list[Alert]
    next_cursor: str | None


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


def _ingest_webhook(engine: AlertOps, body: JsonBody) -> IngestOut:
    return _out(engine.ingest(validate_body(WEBHOOK_BODY, body).alerts, received_at=utc_now()))


def _ingest_generic(engine: AlertOps, body: JsonBody) -> IngestOut:
    alerts = validate_body(GENERIC_BODY, body)
    return _out(engine.ingest(alerts, received_at=utc_now()))


@router.post(
    "/ingest/alertmanager",
    response_model=IngestOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Authorized],
    openapi_extra=openapi_request_body(WEBHOOK_BODY),
)
async def ingest_alertmanager(body: RequestBody, engine: AlertOpsDep, _slot: IngestSlot) -> IngestOut:
    # Validation and ingest share one worker thread: the event loop stays free for other requests.
    return await run_in_threadpool(_ingest_webhook, engine, body)


@router.post(
    "/alerts",
    response_model=IngestOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Authorized],
    openapi_extra=openapi_request_body(GENERIC_BODY),
)
async def ingest_generic(body: RequestBody, engine: AlertOpsDep, _slot: IngestSlot) -> IngestOut:
    return await run_in_threadpool(_ingest_generic, engine, body)


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    kb: KbDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page")] = None,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    fingerprint: Annotated[str | None, Query(max_length=128)] = None,
    status: AlertState | None = None,
) -> AlertPage:
    page = kb.list_alerts(limit=limit, cursor=cursor, incident_id=incident_id, fingerprint=fingerprint, status=status)
    return AlertPage(items=page.items, next_cursor=page.next_cursor)

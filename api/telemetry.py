"""`GET /metrics`: OpsForge's own metrics in the Prometheus text format, and the ingest timing middleware."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response

router = APIRouter(tags=["telemetry"])
INGEST_PATHS = frozenset({"/api/alerts", "/api/ingest/alertmanager"})


@router.get("/metrics", response_class=Response, summary="OpsForge's own metrics (Prometheus text format)")
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.telemetry.render()
    return Response(content=body, media_type=content_type)


def install_ingest_timing(app: FastAPI) -> None:
    """Time every POST to an ingest path and count it by status."""

    @app.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.method != "POST" or request.url.path not in INGEST_PATHS:
            return await call_next(request)
        began = time.perf_counter()
        response = await call_next(request)
        telemetry = getattr(request.app.state, "telemetry", None)
        if telemetry is not None:
            telemetry.ingest_seconds.observe(time.perf_counter() - began)
            telemetry.ingest_requests.labels(str(response.status_code)).inc()
        return response

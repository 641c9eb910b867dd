"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from agents.alert_ops import AlertOps, CorrelationWeights
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger
from api import agents, control, fleet, forecasts, incidents, ingest, logs, metrics
from api import openapi_doc
from api.json_body import json_safe
from api.limits import BodySizeLimit
from api.security import SecurityGate, build_registry, grant_local_session
from config import terminal_logger
from config.document_store import InvalidCursor
from config.kill_switch import KillSwitch
from config.knowledge_base import build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.clock import SimClock
from data.errors import Conflict, DomainError, InvalidInput, NotFound, Overloaded
from data.sim.metric_truth import SimulatorTruth
from data.sim.world import World
from data.timeutil import utc_now
from live_data_generator import SimulationRunner

log = logging.getLogger("opsforge")

DASHBOARD_ROUTE = "dashboard"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every long-lived object, start the threads; on shutdown stop them in reverse order."""
    settings: Settings = app.state.settings
    app.state.tokens = build_registry(settings)
    handler = terminal_logger.install(settings.LOG_BUFFER_SIZE, settings.TERMINAL_OUTPUT)
    kb = build_knowledge_base(settings)
    kill_switch = KillSwitch(kb)
    alert_ops = AlertOps(kb, weights=correlation_weights(settings))
    metric_store = MetricStore()
    world = World(
        seed=settings.SIM_SEED,
        alert_sink=alert_ops,
        metric_sink=metric_store,
        topology_sink=alert_ops,
        faults_paused=lambda: kill_switch.active,
        tick_seconds=settings.SIM_TICK_SECONDS,
    )
    ledger = RiskLedger(
        load=lambda: kb.get_setting(LEDGER_SETTING), save=lambda body: kb.put_setting(LEDGER_SETTING, body)
    )
    predictive = PredictiveOps(
        metric_store,
        save_risk=kb.save_risk,
        truth=SimulatorTruth(world),
        ledger=ledger,
        seasonal=settings.FORECAST_SEASONAL,
    )
    forecaster = PeriodicWorker("forecasts", settings.FORECAST_INTERVAL_S, predictive.refresh)

    def step(sim_time: datetime) -> None:
        world.step(sim_time)
        alert_ops.advance_to(sim_time)

    # Only a first start gets a simulated past. After a restart the stored alerts are the past, and sim time
    # (which runs ahead of the wall clock above 1x) resumes after the newest of them, so event time never
    # goes backwards across restarts.
    newest = kb.list_alerts(limit=1).items
    tick = timedelta(seconds=settings.SIM_TICK_SECONDS)
    start = max(utc_now(), newest[0].startsAt + tick) if newest else utc_now()
    simulation = SimulationRunner(
        seed=settings.SIM_SEED,
        speed=settings.SIM_SPEED,
        tick_seconds=settings.SIM_TICK_SECONDS,
        step=step,
        world=world,
        clock=SimClock(start, settings.SIM_SPEED),
        history=timedelta(0) if newest else timedelta(hours=settings.SIM_HISTORY_HOURS),
    )
    app.state.log_handler = handler
    app.state.kb = kb
    app.state.kill_switch = kill_switch
    app.state.alert_ops = alert_ops
    app.state.predictive_ops = predictive
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = simulation
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    if settings.SIM_AUTOSTART:
        simulation.start()
    try:
        yield
    finally:
        simulation.shutdown()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


def correlation_weights(settings: Settings) -> CorrelationWeights:
    """Return the correlation weights and threshold configured in ``settings``."""
    return CorrelationWeights(
        topology=settings.CORR_W_TOPOLOGY,
        time=settings.CORR_W_TIME,
        labels=settings.CORR_W_LABELS,
        cooccurrence=settings.CORR_W_COOCCURRENCE,
        threshold=settings.CORR_THRESHOLD,
        merge_threshold=settings.CORR_MERGE_THRESHOLD,
        time_scale_s=settings.CORR_TIME_SCALE_S,
        max_gap_s=settings.CORR_MAX_GAP_S,
    )


def _error_handlers(app: FastAPI) -> None:
    statuses: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409}

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        if isinstance(error, Overloaded):
            headers = {"Retry-After": str(max(1, round(error.retry_after)))}
            return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)
        if isinstance(error, InvalidInput):  # every 422 has one shape: a list naming the field
            detail = [{"type": "invalid_input", "loc": error.field.split("."), "msg": error.message}]
            return JSONResponse({"detail": detail}, status_code=422)
        code = next((c for kind, c in statuses.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=code)

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, error: InvalidCursor) -> JSONResponse:
        detail = [{"type": "invalid_cursor", "loc": ["query", "cursor"], "msg": str(error)}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:  # Starlette names only the first route matching the path; name them all
            allowed = _methods_of(app, request.url.path)
            error.headers = {**(error.headers or {}), "Allow": ", ".join(allowed)}
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # The 422 echoes each wrong value; NaN or Infinity there has no JSON form, so it is sent as a string.
        return JSONResponse({"detail": json_safe(jsonable_encoder(error.errors()))}, status_code=422)


def _serve_dashboard(app: FastAPI, dist: Path) -> None:
    """Serve the built dashboard at `/` with an SPA fallback that never shadows `/api/*`."""
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False, name=DASHBOARD_ROUTE)
    def spa(path: str, request: Request) -> FileResponse:
        if path == "api" or path.startswith("api/"):
            allowed = _methods_of(app, f"/{path}")
            if allowed:  # an API route with another method: not the dashboard's business
                raise HTTPException(405, detail="method not allowed", headers={"Allow": ", ".join(allowed)})
            raise HTTPException(404, detail=f"no API route /{path}")
        candidate = _static_file(root, path)
        if candidate is not None:
            return FileResponse(candidate)
        response = FileResponse(index, headers={"Cache-Control": "no-cache"})
        grant_local_session(request, response)
        return response


def _methods_of(app: FastAPI, path: str) -> list[str]:
    """Return the methods the app's routes (not the dashboard's fallback) serve at ``path``."""
    found = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        for route in app.router.routes:
            if getattr(route, "name", None) != DASHBOARD_ROUTE and route.matches(scope)[0] is Match.FULL:
                found.append(method)
                break
    return found


def _static_file(root: Path, path: str) -> Path | None:
    """Return the file under ``root`` that ``path`` names, or None (outside it, not a file, or unreadable)."""
    if not path:
        return None
    try:
        candidate = (root / path).resolve()
        return candidate if candidate.is_relative_to(root) and candidate.is_file() else None
    except (OSError, ValueError):  # a name too long, a NUL byte: no such file
        return None


def create_app(settings: Settings) -> FastAPI:
    """Return the OpsForge app for ``settings``; nothing starts until its lifespan runs."""
    app = FastAPI(title="OpsForge", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    origins = settings.cors_origins
    # Innermost of the three: CORS answers an allowed origin's preflight, the size limit sees every body first.
    app.add_middleware(SecurityGate, allowed_hosts=settings.allowed_hosts, allowed_origins=origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials="*" not in origins,  # a wildcard origin must never carry credentials
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.INGEST_MAX_BODY_BYTES)
    _error_handlers(app)
    for module in (control, logs, metrics, ingest, incidents, agents, fleet, forecasts):
        app.include_router(module.router)
    _serve_dashboard(app, settings.FRONTEND_DIST)
    openapi_doc.install(app)
    return app


def main() -> None:
    import uvicorn

    settings = load_settings()
    tune_garbage_collector()
    uvicorn.run(
        create_app(settings), host=settings.HOST, port=settings.PORT, workers=1, log_level="info", access_log=False
    )


if __name__ == "__main__":
    main()

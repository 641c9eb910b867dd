"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from agents.alert_ops import AlertOps, CorrelationWeights
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger, labels_to_series
from api import agents, control, fleet, forecasts, incidents, ingest, logs, metrics
from api.limits import BodySizeLimit
from config import terminal_logger
from config.document_store import InvalidCursor
from config.kill_switch import KillSwitch
from config.knowledge_base import build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.clock import SimClock
from data.errors import Conflict, DomainError, InvalidInput, NotFound, Overloaded
from data.prometheus import HttpPrometheus, PrometheusSource
from data.series_sources import SeriesSources, SourcedSink
from data.sim.metric_truth import SimulatorTruth
from data.sim.world import World
from data.timeutil import utc_now
from live_data_generator import SimulationRunner

log = logging.getLogger("opsforge")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every long-lived object, start the threads; on shutdown stop them in reverse order."""
    settings: Settings = app.state.settings
    handler = terminal_logger.install(settings.LOG_BUFFER_SIZE, settings.TERMINAL_OUTPUT)
    kb = build_knowledge_base(settings)
    kill_switch = KillSwitch(kb)
    alert_ops = AlertOps(kb, weights=correlation_weights(settings))
    metric_store = MetricStore()
    sources = SeriesSources()
    world = World(
        seed=settings.SIM_SEED,
        alert_sink=alert_ops,
        metric_sink=SourcedSink(metric_store, sources, "simulator", key_of=labels_to_series),
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
        source_of=sources.source_of,
        exhaustion_horizon=timedelta(hours=settings.EXHAUSTION_HORIZON_HOURS),
    )
    forecaster = PeriodicWorker("forecasts", settings.FORECAST_INTERVAL_S, predictive.refresh)
    prometheus = prometheus_source(settings, metric_store, sources)

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
    app.state.series_sources = sources
    app.state.prometheus = prometheus
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = simulation
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    if prometheus is not None:
        prometheus.start()
    if settings.SIM_AUTOSTART:
        simulation.start()
    try:
        yield
    finally:
        simulation.shutdown()
        if prometheus is not None:
            prometheus.stop()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


def prometheus_source(settings: Settings, store: MetricStore, sources: SeriesSources) -> PrometheusSource | None:
    """Return the Prometheus pull source ``settings`` configure (not started), or None without a URL."""
    if settings.PROMETHEUS_URL is None:
        return None
    return PrometheusSource(
        HttpPrometheus(settings.PROMETHEUS_URL, timeout_s=settings.PROMETHEUS_TIMEOUT_S),
        settings.PROMETHEUS_QUERIES,
        store,
        url=settings.PROMETHEUS_URL,
        sources=sources,
        step=timedelta(seconds=settings.PROMETHEUS_STEP_S),
        backfill=timedelta(hours=settings.PROMETHEUS_BACKFILL_HOURS),
        max_backoff=timedelta(seconds=settings.PROMETHEUS_MAX_BACKOFF_S),
    )


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
    statuses: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409, InvalidInput: 422}

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        if isinstance(error, Overloaded):
            headers = {"Retry-After": str(max(1, round(error.retry_after)))}
            return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)
        code = next((c for kind, c in statuses.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=code)

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, error: InvalidCursor) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["query", "cursor"], "msg": str(error)}]}, status_code=422)


def _serve_dashboard(app: FastAPI, dist: Path) -> None:
    """Serve the built dashboard at `/` with an SPA fallback that never shadows `/api/*`."""
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        if path == "api" or path.startswith("api/"):
            raise HTTPException(404, detail=f"no API route /{path}")
        candidate = (root / path).resolve()
        if path and candidate.is_relative_to(root) and candidate.is_file():
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def create_app(settings: Settings) -> FastAPI:
    """Return the OpsForge app for ``settings``; nothing starts until its lifespan runs."""
    app = FastAPI(title="OpsForge", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    origins = settings.cors_origins
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

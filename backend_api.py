"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn.

This module only wires: settings, the knowledge base, the agents (each registered once in the agent
registry), the simulated world and its runner, and the routers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents.alert_ops import AlertOps, CorrelationWeights
from agents.base import AgentRegistry
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger, labels_to_series
from api import agents, alerts, audit, control, fleet, forecasts, incidents, logs, metrics, simulation, topology
from api.dashboard import serve_dashboard
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from config import terminal_logger
from config.kill_switch import KillSwitch
from config.knowledge_base import build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.prometheus import HttpPrometheus, PrometheusSource
from data.remote_write import SOURCE as REMOTE_WRITE_SOURCE
from data.series_sources import SeriesSources, SourcedSink
from data.sim.metric_truth import SimulatorTruth
from live_data_generator import build_simulation, build_world

log = logging.getLogger("opsforge")

ROUTERS = (control, logs, metrics, alerts, incidents, topology, agents, audit, fleet, simulation, forecasts)


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
    world = build_world(
        settings,
        alert_sink=alert_ops,
        metric_sink=SourcedSink(metric_store, sources, "simulator", key_of=labels_to_series),
        topology_sink=alert_ops,
        faults_paused=lambda: kill_switch.active,
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
    registry = AgentRegistry(paused=lambda: kill_switch.active)
    registry.register("AlertOps", alert_ops, autonomous=False)
    registry.register("PredictiveOps", predictive, autonomous=False)

    def advance(sim_time: datetime) -> None:
        alert_ops.advance_to(sim_time)

    newest = kb.list_alerts(limit=1).items
    runner = build_simulation(settings, world, after_step=advance, newest_alert=newest[0].startsAt if newest else None)
    app.state.log_handler = handler
    app.state.kb = kb
    app.state.kill_switch = kill_switch
    app.state.alert_ops = alert_ops
    app.state.predictive_ops = predictive
    app.state.series_sources = sources
    app.state.api_metrics = SourcedSink(metric_store, sources, "api", key_of=labels_to_series)
    app.state.remote_write_metrics = SourcedSink(metric_store, sources, REMOTE_WRITE_SOURCE, key_of=labels_to_series)
    app.state.prometheus = prometheus
    app.state.agents = registry
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = runner
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    if prometheus is not None:
        prometheus.start()
    if settings.SIM_AUTOSTART:
        runner.start()
    try:
        yield
    finally:
        runner.shutdown()
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
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    serve_dashboard(app, settings.FRONTEND_DIST)
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

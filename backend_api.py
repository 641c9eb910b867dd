"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn.

This module only wires: settings, the knowledge base, the agents (each registered once in the agent
registry), the simulated world and its runner, and the routers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents.alert_ops import build_alert_ops
from agents.base import AgentRegistry
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger
from api import (
    agents,
    alerts,
    audit,
    control,
    fleet,
    forecasts,
    incidents,
    logs,
    metrics,
    openapi_doc,
    simulation,
    topology,
)  # fmt: skip
from api.dashboard import serve_dashboard
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.security import SecurityGate, build_registry
from config import terminal_logger
from config.kill_switch import KillSwitch
from config.knowledge_base import build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.sim.metric_truth import SimulatorTruth
from live_data_generator import build_simulation, build_world

log = logging.getLogger("opsforge")

ROUTERS = (control, logs, metrics, alerts, incidents, topology, agents, audit, fleet, simulation, forecasts)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every long-lived object, start the threads; on shutdown stop them in reverse order."""
    settings: Settings = app.state.settings
    app.state.tokens = build_registry(settings)
    handler = terminal_logger.install(settings.LOG_BUFFER_SIZE, settings.TERMINAL_OUTPUT)
    kb = build_knowledge_base(settings)
    kill_switch = KillSwitch(kb)
    alert_ops = build_alert_ops(kb, settings)
    metric_store = MetricStore()
    world = build_world(
        settings,
        alert_sink=alert_ops,
        metric_sink=metric_store,
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
    )
    forecaster = PeriodicWorker("forecasts", settings.FORECAST_INTERVAL_S, predictive.refresh)
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
    app.state.agents = registry
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = runner
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    if settings.SIM_AUTOSTART:
        runner.start()
    try:
        yield
    finally:
        runner.shutdown()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


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
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    serve_dashboard(app, settings.FRONTEND_DIST)
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

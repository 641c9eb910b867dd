"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn.

This module only wires: settings, the knowledge base, the agents (each registered once in the agent
registry), the simulated world and its runner, and the routers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents.alert_ops import build_alert_ops
from agents.assembly import build_orchestrator, build_patch_ops, build_remediation, prometheus_source
from agents.base import AgentRegistry, RequesterActivity
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger, labels_to_series
from api import (
    actions,
    agents,
    alerts,
    approvals,
    audit,
    control,
    fleet,
    forecasts,
    incidents,
    learning,
    logs,
    metrics,
    openapi_doc,
    patches,
    silences,
    simulation,
    tasks,
    topology,
)  # fmt: skip
from api.dashboard import serve_dashboard
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.security import SecurityGate, build_registry
from api.telemetry import install_ingest_timing
from api.telemetry import router as telemetry_router
from config import terminal_logger
from config.approval_bridge import connect_approvals
from config.kill_switch import KillSwitch
from config.knowledge_base import build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.safety import build_safety
from config.settings import Settings, load_settings
from config.telemetry import Telemetry
from data.remote_write import SOURCE as REMOTE_WRITE_SOURCE
from data.series_sources import SeriesSources, SourcedSink
from data.sim.actuator import SimulatedActuator
from data.sim.metric_truth import SimulatorTruth
from data.timeutil import utc_now
from live_data_generator import build_simulation, build_world

log = logging.getLogger("opsforge")

ROUTERS = (
    control, logs, metrics, alerts, incidents, topology, agents, audit, fleet, simulation, forecasts, actions, tasks,
    learning,
    patches,
)  # fmt: skip
LIVE_TICKS = 10  # TaskOps acts on ticks this close to the sim clock, never on the simulated past stepped at start-up
SAFETY_ROUTERS = (approvals, silences)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every long-lived object, start the threads; on shutdown stop them in reverse order."""
    settings: Settings = app.state.settings
    app.state.tokens = build_registry(settings)
    telemetry: Telemetry = app.state.telemetry
    handler = terminal_logger.install(settings.LOG_BUFFER_SIZE, settings.TERMINAL_OUTPUT)
    kb = build_knowledge_base(settings)
    kill_switch = KillSwitch(kb)
    alert_ops = build_alert_ops(kb, settings)
    metric_store = MetricStore()
    sources = SeriesSources()
    world = build_world(
        settings,
        alert_sink=alert_ops,
        metric_sink=SourcedSink(metric_store, sources, "simulator", key_of=labels_to_series),
        topology_sink=alert_ops,
        faults_paused=lambda: kill_switch.active,
        on_advisory=lambda advisory: patch_ops.receive(advisory),
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

    last_remedy = [float("-inf")]

    def advance(sim_time: datetime) -> None:
        with telemetry.correlation_seconds.time():
            alert_ops.advance_to(sim_time)
        live = sim_time >= runner.clock.now() - LIVE_TICKS * timedelta(seconds=settings.SIM_TICK_SECONDS)
        # At high simulation speeds many ticks pass per wall second; TaskOps looks at most every interval.
        if live and time.monotonic() - last_remedy[0] >= settings.TASKOPS_MIN_INTERVAL_S:
            last_remedy[0] = time.monotonic()
            task_ops.tick()
            executor.expire_due()

    newest = kb.list_alerts(limit=1).items
    runner = build_simulation(settings, world, after_step=advance, newest_alert=newest[0].startsAt if newest else None)
    app.state.log_handler = handler
    app.state.kb = kb
    app.state.kill_switch = kill_switch
    safety = build_safety(kb, settings, SimulatedActuator(world), now=runner.clock.now)
    executor, task_ops = build_remediation(settings, kb, kill_switch, world, runner.clock, safety)
    executor.subscribe(telemetry.action_finished)
    patch_ops = build_patch_ops(settings, kb, kill_switch, world, executor, metric_store, predictive)
    patcher = PeriodicWorker("patch-ops", settings.PATCH_TICK_S, patch_ops.tick)
    patch_activity = RequesterActivity("agent:PatchOps", utc_now)
    executor.subscribe(patch_activity)
    orchestrator = build_orchestrator(settings, kb, executor, task_ops, alert_ops, runner.clock, patch_ops)
    orchestration = PeriodicWorker("orchestrator", settings.ORCHESTRATOR_INTERVAL_S, orchestrator.run_once)
    registry.register("PatchOps", patch_activity, autonomous=True)
    registry.register("TaskOps", task_ops, autonomous=True)
    registry.register("Orchestrator", orchestrator, autonomous=True)
    app.state.executor = executor
    app.state.task_ops = task_ops
    app.state.orchestrator = orchestrator
    app.state.audit = safety.audit
    app.state.approvals = safety.approvals
    app.state.approval_decider = connect_approvals(executor, safety.approvals)
    app.state.silences = safety.silences
    app.state.actuators = safety.actuators
    app.state.alert_ops = alert_ops
    app.state.predictive_ops = predictive
    app.state.series_sources = sources
    app.state.api_metrics = SourcedSink(metric_store, sources, "api", key_of=labels_to_series)
    app.state.remote_write_metrics = SourcedSink(metric_store, sources, REMOTE_WRITE_SOURCE, key_of=labels_to_series)
    app.state.prometheus = prometheus
    app.state.agents = registry
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = runner
    app.state.patch_ops = patch_ops
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    patcher.start()
    safety.approval_sweeper.start()
    orchestration.start()
    if prometheus is not None:
        prometheus.start()
    if settings.SIM_AUTOSTART:
        runner.start()
    try:
        yield
    finally:
        runner.shutdown()
        orchestration.stop()
        orchestrator.close()
        patcher.stop()
        executor.stop()
        safety.approval_sweeper.stop()
        if prometheus is not None:
            prometheus.stop()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


def create_app(settings: Settings) -> FastAPI:
    """Return the OpsForge app for ``settings``; nothing starts until its lifespan runs."""
    app = FastAPI(title="OpsForge", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.telemetry = Telemetry()
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
    install_ingest_timing(app)
    app.include_router(telemetry_router)
    for module in ROUTERS + SAFETY_ROUTERS:
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

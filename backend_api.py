"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn.

This module only wires: settings, the knowledge base, the agents (each registered once in the agent
registry), the simulated world and its runner, and the routers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents.alert_ops import (
    AlertLimits,
    AlertOps,
    CorrelationWeights,
    LifecyclePolicy,
    TopologyLimits,
    TopologyRegistry,
)
from agents.base import AgentRegistry
from agents.patch_ops import PatchOps, RolloutEngine, RolloutPolicy
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger
from agents.task_ops import SPECS, TaskOps
from api import (
    actions,
    agents,
    alerts,
    audit,
    control,
    fleet,
    forecasts,
    incidents,
    logs,
    metrics,
    patches,
    simulation,
    tasks,
    topology,
)
from api.dashboard import serve_dashboard
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from config import terminal_logger
from config.action_executor import Executor, Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase, build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.clock import Clock
from data.patch_windows import MaintenanceWindows
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.inventory import SimInventory, WorldClock
from data.sim.metric_truth import SimulatorTruth
from data.sim.world import World
from data.timeutil import utc_now
from live_data_generator import build_simulation, build_world

log = logging.getLogger("opsforge")

ROUTERS = (
    control, logs, metrics, alerts, incidents, topology, agents, audit, fleet, simulation, forecasts, actions, tasks,
    patches,
)  # fmt: skip
LIVE_TICKS = 10  # TaskOps acts on ticks this close to the sim clock, never on the simulated past stepped at start-up


def alert_ops_bounds(settings: Settings) -> dict[str, Any]:
    """Return the alert engine's bounds configured in ``settings``: its ``policy``, ``topology`` and ``limits``."""
    return {
        "policy": LifecyclePolicy(
            max_tracked_alerts=settings.ALERTOPS_MAX_TRACKED_ALERTS,
            max_tracked_bytes=settings.ALERTOPS_MAX_TRACKED_BYTES,
        ),
        "topology": TopologyRegistry(
            TopologyLimits(
                max_services=settings.TOPOLOGY_MAX_SERVICES,
                max_dependencies=settings.TOPOLOGY_MAX_DEPENDENCIES,
                max_services_per_host=settings.TOPOLOGY_MAX_SERVICES_PER_HOST,
                max_fanout=settings.TOPOLOGY_MAX_FANOUT,
                cache_entries=settings.TOPOLOGY_CACHE_ENTRIES,
            )
        ),
        "limits": AlertLimits(
            max_labels=settings.ALERT_MAX_LABELS,
            max_label_name_chars=settings.ALERT_MAX_LABEL_NAME_CHARS,
            max_label_value_chars=settings.ALERT_MAX_LABEL_VALUE_CHARS,
            max_annotation_bytes=settings.ALERT_MAX_ANNOTATION_BYTES,
            max_clock_skew=timedelta(seconds=settings.ALERT_MAX_CLOCK_SKEW_S),
            max_ends_ahead=timedelta(seconds=settings.ALERT_MAX_ENDS_AHEAD_S),
        ),
    }


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build every long-lived object, start the threads; on shutdown stop them in reverse order."""
    settings: Settings = app.state.settings
    handler = terminal_logger.install(settings.LOG_BUFFER_SIZE, settings.TERMINAL_OUTPUT)
    kb = build_knowledge_base(settings)
    kill_switch = KillSwitch(kb)
    alert_ops = AlertOps(kb, weights=correlation_weights(settings), **alert_ops_bounds(settings))
    metric_store = MetricStore()
    world = build_world(
        settings,
        alert_sink=alert_ops,
        metric_sink=metric_store,
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
    )
    forecaster = PeriodicWorker("forecasts", settings.FORECAST_INTERVAL_S, predictive.refresh)
    registry = AgentRegistry(paused=lambda: kill_switch.active)
    registry.register("AlertOps", alert_ops, autonomous=False)
    registry.register("PredictiveOps", predictive, autonomous=False)

    def advance(sim_time: datetime) -> None:
        alert_ops.advance_to(sim_time)
        if sim_time >= runner.clock.now() - LIVE_TICKS * timedelta(seconds=settings.SIM_TICK_SECONDS):
            task_ops.tick()
            executor.expire_due()

    newest = kb.list_alerts(limit=1).items
    runner = build_simulation(settings, world, after_step=advance, newest_alert=newest[0].startsAt if newest else None)
    executor, task_ops = build_remediation(settings, kb, kill_switch, world, runner.clock)
    registry.register("TaskOps", task_ops, autonomous=True)
    patch_ops = build_patch_ops(settings, kb, kill_switch, world, executor, metric_store, predictive)
    patcher = PeriodicWorker("patch-ops", settings.PATCH_TICK_S, patch_ops.tick)
    app.state.log_handler = handler
    app.state.kb = kb
    app.state.kill_switch = kill_switch
    app.state.alert_ops = alert_ops
    app.state.predictive_ops = predictive
    app.state.agents = registry
    app.state.ingest_slots = threading.BoundedSemaphore(settings.INGEST_MAX_INFLIGHT)
    app.state.simulation = runner
    app.state.executor = executor
    app.state.task_ops = task_ops
    app.state.patch_ops = patch_ops
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    patcher.start()
    if settings.SIM_AUTOSTART:
        runner.start()
    try:
        yield
    finally:
        runner.shutdown()
        patcher.stop()
        executor.stop()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


def build_remediation(
    settings: Settings, kb: KnowledgeBase, kill_switch: KillSwitch, world: World, clock: Clock
) -> tuple[Executor, TaskOps]:
    """Return the Executor over the simulated fleet (on sim time) and TaskOps, which acts only through it."""
    inventory = SimulatedInventory(world)
    actuator = SimulatedActuator(world)
    executor = Executor(
        actuator_for=lambda tenant: actuator,
        kill_switch=kill_switch,
        kb=kb,
        clock=clock,
        catalogue=SPECS,
        inventory=inventory,
        limits=Limits.from_settings(settings),
        observe=inventory.observe,
        workers=settings.EXEC_WORKERS,
    )
    task_ops = TaskOps(
        kb,
        executor,
        inventory,
        SPECS,
        clock.now,
        autonomy=lambda: settings.AUTONOMY_ENABLED,
        scheduled=lambda: settings.SCHEDULED_TASKS_ENABLED,
        min_confidence=settings.AUTONOMY_MIN_CONFIDENCE,
    )
    executor.subscribe(task_ops.learner)
    return executor, task_ops


def build_patch_ops(
    settings: Settings,
    kb: KnowledgeBase,
    kill_switch: KillSwitch,
    world: World,
    executor: Executor,
    metric_store: MetricStore,
    predictive: PredictiveOps,
) -> PatchOps:
    """Return PatchOps running its roll-outs through ``executor`` on the simulated fleet's time, with
    PredictiveOps' anomaly flags and the open incidents as evidence."""

    def anomalies(hosts: Sequence[str], metrics: Sequence[str], start: datetime, end: datetime) -> int:
        chosen, names = set(hosts), set(metrics)
        return sum(1 for f in predictive.flags() if f.host in chosen and f.metric in names and start <= f.time < end)

    def incident_hosts() -> set[str]:
        return {h for i in kb.list_incidents(status="open", limit=500).items for h in i.hosts}

    policy = RolloutPolicy(
        canary_fraction=settings.PATCH_CANARY_FRACTION,
        waves=settings.patch_waves,
        canary_bake_s=settings.PATCH_CANARY_BAKE_S,
        wave_bake_s=settings.PATCH_WAVE_BAKE_S,
        auto_approve_min_cvss=settings.PATCH_AUTO_APPROVE_MIN_CVSS,
    )
    engine = RolloutEngine(
        save=kb.save_patch_plan,
        executor=executor,
        inventory=SimInventory(world),
        metrics=metric_store,
        clock=WorldClock(world, utc_now),
        kill_switch_active=lambda: kill_switch.active,
        audit=kb.append_audit,
        policy=policy,
        windows=MaintenanceWindows(settings.PATCH_MAINTENANCE_WINDOWS),
        incident_hosts=incident_hosts,
        anomalies=anomalies,
    )
    return PatchOps(kb, engine)


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

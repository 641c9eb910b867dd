"""Composition root: `create_app(settings)` builds the service; `python backend_api.py` runs it with uvicorn."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from agents import task_ops
from agents.alert_ops import AlertOps, CorrelationWeights
from agents.patch_ops import PatchOps, RolloutEngine, RolloutPolicy
from agents.predictive_ops import LEDGER_SETTING, MetricStore, PredictiveOps, RiskLedger
from api import agents, control, fleet, forecasts, incidents, ingest, logs, metrics, patches
from api.limits import BodySizeLimit
from config import terminal_logger
from config.action_executor import Executor
from config.document_store import InvalidCursor
from config.guardrails import Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase, build_knowledge_base
from config.periodic import PeriodicWorker
from config.runtime import tune_garbage_collector
from config.settings import Settings, load_settings
from data.clock import SimClock
from data.errors import Conflict, DomainError, InvalidInput, NotFound, Overloaded
from data.patch_windows import MaintenanceWindows
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.inventory import SimInventory, WorldClock
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
    world = World(
        on_advisory=lambda advisory: patch_ops.receive(advisory),
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
    executor, patch_ops = build_patch_ops(settings, kb, kill_switch, world, metric_store, predictive)
    patcher = PeriodicWorker("patch-ops", settings.PATCH_TICK_S, patch_ops.tick)

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
    app.state.executor = executor
    app.state.patch_ops = patch_ops
    log.info("OpsForge started with the %s knowledge base", settings.KB_BACKEND.value)
    forecaster.start()
    patcher.start()
    if settings.SIM_AUTOSTART:
        simulation.start()
    try:
        yield
    finally:
        simulation.shutdown()
        patcher.stop()
        executor.stop()
        forecaster.stop()
        alert_ops.close()
        kb.close()
        log.info("OpsForge stopped")
        terminal_logger.uninstall(handler)


class _NoSilences:
    """No silence store yet: nothing is silenced (the Executor's silence rule always allows)."""

    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> None:
        return None


def build_patch_ops(
    settings: Settings,
    kb: KnowledgeBase,
    kill_switch: KillSwitch,
    world: World,
    metric_store: MetricStore,
    predictive: PredictiveOps,
) -> tuple[Executor, PatchOps]:
    """Return the guarded Executor over the simulated fleet and PatchOps running its roll-outs through it."""
    clock = WorldClock(world, utc_now)
    executor = Executor(
        actuator_for=lambda tenant: SimulatedActuator(world),
        kill_switch=kill_switch,
        kb=kb,
        clock=clock,
        catalogue=task_ops.SPECS,
        inventory=SimulatedInventory(world),
        silences=_NoSilences(),
        limits=Limits.from_settings(settings),
        workers=settings.EXEC_WORKERS,
    )

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
        clock=clock,
        kill_switch_active=lambda: kill_switch.active,
        audit=kb.append_audit,
        policy=policy,
        windows=MaintenanceWindows(settings.PATCH_MAINTENANCE_WINDOWS),
        incident_hosts=incident_hosts,
        anomalies=anomalies,
    )
    return executor, PatchOps(kb, engine)


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
    for module in (control, logs, metrics, ingest, incidents, agents, fleet, forecasts, patches):
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

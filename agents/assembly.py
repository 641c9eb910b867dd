"""How the service assembles its agents around the Executor: TaskOps, PatchOps, the orchestrator and the
Prometheus source, each built from the settings and wired to the simulated fleet or the real one.

The composition root (`backend_api`) calls these; no agent package imports another, and this module only
composes their public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from agents.alert_ops import AlertOps
from agents.orchestrator import Orchestrator, PatchOpsRollouts
from agents.patch_ops import PatchOps, RolloutEngine, RolloutPolicy
from agents.predictive_ops import MetricStore, PredictiveOps
from agents.task_ops import SPECS, TaskOps
from config.action_executor import Executor, Limits
from config.agent_selector import AgentSelector
from config.bedrock_client import build_narrator
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase
from config.learning import LearningLoop
from config.safety import Safety
from config.settings import Settings
from data.clock import Clock
from data.patch_windows import MaintenanceWindows
from data.prometheus import HttpPrometheus, PrometheusSource
from data.series_sources import SeriesSources
from data.sim.actuator import SimulatedInventory
from data.sim.inventory import SimInventory, WorldClock
from data.sim.world import World
from data.timeutil import utc_now


def build_remediation(
    settings: Settings, kb: KnowledgeBase, kill_switch: KillSwitch, world: World, clock: Clock, safety: Safety
) -> tuple[Executor, TaskOps]:
    """Return the Executor (on sim time, behind the safety services) and TaskOps, which acts only through it."""
    inventory = SimulatedInventory(world)
    executor = Executor(
        actuator_for=safety.actuators.actuator_for,
        kill_switch=kill_switch,
        kb=kb,
        clock=clock,
        catalogue=SPECS,
        inventory=inventory,
        silences=safety.silences,
        limits=Limits.from_settings(settings),
        audit=safety.audit,
        observe=inventory.observe,
        workers=settings.EXEC_WORKERS,
    )
    task_ops = TaskOps(
        kb,
        executor,
        inventory,
        SPECS,
        clock.now,
        autonomy=lambda: False,  # the Orchestrator composes autonomous remediation; TaskOps proposes and schedules
        scheduled=lambda: settings.SCHEDULED_TASKS_ENABLED,
        min_confidence=settings.AUTONOMY_MIN_CONFIDENCE,
    )
    executor.subscribe(task_ops.learner)
    return executor, task_ops


def build_orchestrator(
    settings: Settings,
    kb: KnowledgeBase,
    executor: Executor,
    task_ops: TaskOps,
    alert_ops: AlertOps,
    clock: Clock,
    patch_ops: PatchOps,
) -> Orchestrator:
    """Return the Orchestrator over TaskOps' proposer, the Executor, AlertOps' timeline and PatchOps'
    roll-outs, its learning statistics rebuilt from the stored outcomes."""
    learning = LearningLoop(kb, enabled=settings.LEARNING_LOOP_ENABLED)
    learning.load()
    return Orchestrator(
        kb,
        executor,
        task_ops.proposer,
        AgentSelector(kb, learning=settings.LEARNING_LOOP_ENABLED),
        learning,
        clock.now,
        timeline=alert_ops,
        rollouts=PatchOpsRollouts(patch_ops),
        narrator=build_narrator(settings),
        enabled=lambda: settings.AUTONOMY_ENABLED,
        min_confidence=settings.AUTONOMY_MIN_CONFIDENCE,
    )


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

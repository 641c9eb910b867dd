"""A quiet simulated fleet with PatchOps wired to it through the fake Executor, driven tick by tick."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from agents.patch_ops import ExecutionState, MaintenanceWindows, PatchOps, RolloutEngine, RolloutPolicy, build_plan
from agents.predictive_ops import MetricStore
from agents.task_ops import SPECS
from config.action_executor import Executor
from config.guardrails import Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase, MemoryKnowledgeBase
from data.advisories import Advisory
from data.models import AlertIn, AuditEntry, PatchPlan
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.inventory import SimInventory
from data.sim.world import World
from tests.agents.patch_ops.fakes import CountingActuator, FakeExecutor

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class NullAlerts:
    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        pass


class NoSilences:
    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> None:
        return None


class PatchSim:
    def __init__(
        self,
        seed: int = 3,
        *,
        policy: RolloutPolicy | None = None,
        kb: KnowledgeBase | None = None,
        windows: MaintenanceWindows | None = None,
        gate: Callable[..., ExecutionState | None] | None = None,
        history_min: int = 40,
        real_executor: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.t = T0
        self.store = MetricStore()
        self.world = World(
            seed=seed, alert_sink=NullAlerts(), metric_sink=self.store, random_faults=False, noise=False, auto_end=False
        )
        self.kb = kb or MemoryKnowledgeBase()
        self.kill = False
        self.actuator = CountingActuator(SimulatedActuator(self.world, transient_failure_p=0.0))
        self.switch = KillSwitch(self.kb)
        self.executor: FakeExecutor | Executor
        if real_executor:
            self.executor = Executor(
                actuator_for=lambda tenant: self.actuator,
                kill_switch=self.switch,
                kb=self.kb,
                clock=self,
                catalogue=SPECS,
                inventory=SimulatedInventory(self.world),
                silences=NoSilences(),
                limits=limits or Limits(retry_backoff_s=0.0, timeout_s=5.0),
            )
        else:
            self.executor = FakeExecutor(
                self.kb, self.actuator, kill_switch=lambda: self.kill, gate=gate or (lambda r: None), now=self.now
            )
        self.audits: list[AuditEntry] = []
        self.inventory = SimInventory(self.world)
        self.engine = RolloutEngine(
            save=self.kb.save_patch_plan,
            executor=self.executor,
            inventory=self.inventory,
            metrics=self.store,
            clock=self,
            kill_switch_active=(lambda: self.switch.active) if real_executor else (lambda: self.kill),
            audit=self._audit,
            policy=policy or RolloutPolicy(),
            windows=windows,
        )
        self.ops = PatchOps(self.kb, self.engine)
        self.t = T0
        self.run(history_min, tick=False)

    def _audit(self, entry: AuditEntry) -> None:
        self.audits.append(entry)
        self.kb.append_audit(entry)

    def now(self) -> datetime:
        return self.world.now or self.t

    def run(self, minutes: int, *, tick: bool = True) -> None:
        for _ in range(minutes):
            self.t += timedelta(minutes=1)
            self.world.step(self.t)
            if tick:
                self.ops.tick()

    def run_until(self, done: Callable[[PatchPlan], bool], plan_id: str, limit: int = 600) -> PatchPlan:
        for _ in range(limit):
            plan = self.ops.get(plan_id)
            if done(plan):
                return plan
            self.run(1)
        raise AssertionError(f"{plan_id} still {self.ops.get(plan_id).state} after {limit} minutes")

    def advisories(self) -> list[Advisory]:
        """Publish a month of the feed's advisories at once (deterministic for the seed)."""
        feed = self.world.advisories
        if not feed.published():
            feed.step(self.t.timestamp() + 30 * 86400, self.now())
        return feed.published()

    def plan_for(self, advisory: Advisory, *, approve: bool = True) -> PatchPlan:
        self.kb.save_advisory(advisory)
        plan = self.ops.create_plan(advisory.id, actor="user:test")
        if approve:
            plan = self.ops.approve(plan.id, actor="user:test", reason="go")
        return plan

    def preview(self, advisory: Advisory) -> PatchPlan:
        return build_plan(
            plan_id="preview",
            advisory=advisory,
            hosts=self.inventory.hosts(),
            policy=self.engine.policy,
            now=self.now(),
        )

    def bad_hosts(self, advisory: Advisory) -> set[str]:
        truth = {t.id: t for t in self.world.advisories.truth()}
        return set(truth[advisory.id].bad_hosts)

    @property
    def fake(self) -> FakeExecutor:
        assert isinstance(self.executor, FakeExecutor)
        return self.executor

    @property
    def real(self) -> Executor:
        assert isinstance(self.executor, Executor)
        return self.executor

    def stop(self) -> None:
        if isinstance(self.executor, Executor):
            self.executor.stop()

    def version(self, host: str, package: str) -> str | None:
        return self.inventory.package_version(host, package)

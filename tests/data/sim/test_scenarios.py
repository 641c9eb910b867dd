"""Every scenario of the catalogue raises its alerts, cascades, and is fixed by its remedy (and only by a fix)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from data.models import Action, ActionStatus, AlertIn
from data.sim.actuator import SimulatedActuator
from data.sim.scenarios import ACTIONS, CATALOGUE, RANDOM_SCENARIOS, SCENARIOS
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SEED_PATTERNS = (
    "database_cascade",
    "memory_leak",
    "cpu_spike",
    "disk_full",
    "network_partition",
    "ssl_expiry",
    "backup_failure",
    "security_breach",
    "container_crash",
    "dns_failure",
    "load_balancer_down",
    "patch_reboot_required",
    "api_rate_limit",
    "cache_miss_storm",
    "storage_latency",
    "service_dependency_failure",
)
UNRELATED = ("throttle_client", "expand_disk", "scale_out", "kill_process", "rotate_certificate")


class Quiet:
    """A world without noise, random faults or automatic healing, stepped minute by minute."""

    def __init__(self, seed: int = 5) -> None:
        self.sink = RecordingSink()
        self.world = World(seed=seed, alert_sink=self.sink, random_faults=False, noise=False, auto_end=False)
        self.actuator = SimulatedActuator(self.world, transient_failure_p=0.0)
        self.minute = 0

    def run(self, minutes: int) -> None:
        for _ in range(minutes):
            self.world.step(START + timedelta(minutes=self.minute))
            self.minute += 1

    def act(self, action_type: str, target: str) -> ActionStatus:
        action = Action(action_id=f"a{self.minute}", action_type=action_type, agent="test", target=target)
        return self.actuator.apply(action).status


def last_status(alerts: Sequence[AlertIn], fingerprints: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for alert in alerts:
        if alert.fingerprint in fingerprints:
            out[alert.fingerprint] = alert.status.value
    return out


def test_catalogue_has_every_seed_pattern_with_a_known_remedy() -> None:
    names = {s.name for s in RANDOM_SCENARIOS}
    assert set(SEED_PATTERNS) <= names
    for scenario in CATALOGUE:
        assert scenario.remedy is None or scenario.remedy in ACTIONS
        assert set(scenario.also_fixes) <= set(ACTIONS)
        assert set(scenario.worsened_by) <= set(ACTIONS)
        assert scenario.remedy not in scenario.worsened_by


@pytest.mark.parametrize("name", [*SEED_PATTERNS, "bad_patch"])
def test_scenario_alerts_cascades_and_is_fixed_only_by_its_remedy(name: str) -> None:
    scenario = SCENARIOS[name]
    sim = Quiet()
    sim.run(1)
    record = sim.world.inject(name)
    sim.run(60)

    caused = [a for a in sim.world.truth.alerts() if a.fault_id == record.id]
    assert record.root_host in {a.instance for a in caused}, f"{name} raised nothing on its root host"
    assert all(a.fault_id is None or a.fault_id == record.id for a in sim.world.truth.alerts())
    if scenario.caller_effects and sim.world.fleet.callers(record.root_service):
        services = {sim.world.fleet.host(a.instance).service for a in caused}
        assert services - {record.root_service}, f"{name} did not cascade to a caller"

    unrelated = next(
        a for a in UNRELATED if a != scenario.remedy and a not in scenario.also_fixes and a not in scenario.worsened_by
    )
    assert sim.act(unrelated, record.root_host) == ActionStatus.COMPLETED
    sim.run(10)
    assert sim.world.truth.fault(record.id).ended_at is None, f"{unrelated} fixed {name}"

    assert scenario.remedy is not None
    assert sim.act(scenario.remedy, record.root_host) == ActionStatus.COMPLETED
    ended = sim.world.truth.fault(record.id)
    assert ended.end_reason == scenario.remedy and ended.ended_at is not None
    sim.run(15)
    fingerprints = {a.fingerprint for a in caused}
    assert set(last_status(sim.sink.alerts, fingerprints).values()) == {"resolved"}


def test_a_worsening_action_makes_the_fault_stronger() -> None:
    sim = Quiet()
    sim.run(1)
    record = sim.world.inject("database_cascade")
    sim.run(5)
    fault = next(f for f in sim.world.active if f.id == record.id)
    before = sim.world.observe(fault.root)["latency_p95"]
    assert sim.act("restart_service", record.root_host) == ActionStatus.COMPLETED
    assert sim.world.observe(fault.root)["latency_p95"] > before
    assert sim.world.truth.fault(record.id).ended_at is None


def test_self_healing_and_operator_fixes_end_faults_when_enabled() -> None:
    sink = RecordingSink()
    world = World(seed=2, alert_sink=sink, noise=False)
    for minute in range(8 * 60):
        world.step(START + timedelta(minutes=minute))
    reasons = {f.end_reason for f in world.truth.faults()}
    assert {"operator", "self_heal"} <= reasons


def test_inject_refuses_unknown_names_hosts_and_wrong_roles() -> None:
    from data.errors import Conflict, InvalidInput, NotFound

    sim = Quiet()
    with pytest.raises(Conflict):
        sim.world.inject("dns_failure")
    sim.run(1)
    with pytest.raises(NotFound):
        sim.world.inject("no_such_thing")
    with pytest.raises(NotFound):
        sim.world.inject("dns_failure", host="nope-01")
    with pytest.raises(NotFound):
        sim.world.inject("dns_failure", tenant="nobody")
    web = sim.world.fleet.service_by_suffix("acme", "web").hosts[0]
    with pytest.raises(InvalidInput):
        sim.world.inject("dns_failure", host=web)
    record = sim.world.inject("dns_failure", tenant="globex")
    assert record.tenant == "globex" and record.root_service == "globex-dns" and record.origin == "injected"

"""The simulated actuator: transient failures, role checks, side effects, patches and rollbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from data.errors import InvalidInput, NotFound
from data.models import Action, ActionStatus
from data.sim.actuator import SimulatedActuator
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


class Sim:
    def __init__(self, transient: float = 0.0) -> None:
        self.sink = RecordingSink()
        self.world = World(seed=9, alert_sink=self.sink, random_faults=False, noise=False, auto_end=False)
        self.actuator = SimulatedActuator(self.world, transient_failure_p=transient)
        self.minute = 0
        self.run(1)

    def run(self, minutes: int) -> None:
        for _ in range(minutes):
            self.world.step(START + timedelta(minutes=self.minute))
            self.minute += 1

    def act(self, action_type: str, target: str, **params: object) -> ActionStatus:
        action = Action(action_id="x", action_type=action_type, agent="test", target=target, params=params)
        return self.actuator.apply(action).status


def test_transient_failures_change_nothing() -> None:
    sim = Sim(transient=1.0)
    record = sim.world.inject("memory_leak", tenant="acme")
    action = Action(action_id="x", action_type="restart_service", agent="test", target=record.root_host)
    result = sim.actuator.apply(action)
    assert result.status == ActionStatus.FAILED and result.transient
    assert sim.world.truth.fault(record.id).ended_at is None


def test_role_only_actions_fail_elsewhere_and_unknowns_are_refused() -> None:
    sim = Sim()
    web = sim.world.fleet.service_by_suffix("acme", "web").hosts[0]
    assert sim.act("failover_database", web) == ActionStatus.FAILED
    with pytest.raises(NotFound):
        sim.act("reboot", "no-such-host")
    with pytest.raises(InvalidInput):
        sim.act("format_everything", web)


def test_result_reports_observed_signals_not_truth() -> None:
    sim = Sim()
    record = sim.world.inject("cpu_spike", tenant="acme")
    sim.run(5)
    action = Action(action_id="k", action_type="kill_process", agent="test", target=record.root_host)
    result = sim.actuator.apply(action)
    assert result.status == ActionStatus.COMPLETED and result.hosts == [record.root_host]
    assert result.observed[record.root_host]["cpu"] < 90
    assert "fault" not in result.model_dump_json().lower()


def test_reboot_takes_the_host_down_for_a_while_as_its_own_fault() -> None:
    sim = Sim()
    host = sim.world.fleet.service_by_suffix("acme", "api").hosts[0]
    assert sim.act("reboot", host) == ActionStatus.COMPLETED
    side = sim.world.truth.faults()[-1]
    assert side.scenario == "maintenance_downtime" and side.origin == "action:reboot" and side.remedy is None
    sim.run(8)
    caused = [a for a in sim.world.truth.alerts() if a.fault_id == side.id]
    assert "InstanceDown" in {a.alertname for a in caused}
    assert sim.world.truth.fault(side.id).end_reason == "self_heal"


def test_service_targets_act_on_every_host_of_the_service() -> None:
    sim = Sim()
    service = sim.world.fleet.service_by_suffix("acme", "web")
    action = Action(action_id="r", action_type="restart_service", agent="test", target=service.name)
    assert sim.actuator.apply(action).hosts == list(service.hosts)


def test_bad_patch_breaks_the_service_and_rollback_restores_it() -> None:
    sim = Sim()
    sim.run(60 * 24 * 3)
    truths = [t for t in sim.world.advisories.truth() if t.bad_hosts]
    assert truths, "no bad advisory in three sim days"
    truth = truths[0]
    advisory = sim.world.advisories.get(truth.id)
    host = sim.world.fleet.host(truth.bad_hosts[0])
    old = host.packages[advisory.package]
    assert sim.act("apply_patch", host.name, advisory_id=advisory.id) == ActionStatus.COMPLETED
    assert host.packages[advisory.package] == advisory.fixed_version
    bad = next(f for f in sim.world.truth.faults() if f.scenario == "bad_patch")
    assert bad.root_host == host.name and bad.origin == "action:apply_patch"
    sim.run(10)
    assert any(a.fault_id == bad.id for a in sim.world.truth.alerts())
    assert sim.act("rollback_patch", host.name, advisory_id=advisory.id) == ActionStatus.COMPLETED
    assert host.packages[advisory.package] == old
    assert sim.world.truth.fault(bad.id).end_reason == "rollback_patch"
    good = next(h for h in advisory.affected_hosts if h not in truth.bad_hosts)
    before = len(sim.world.truth.faults())
    assert sim.act("apply_patch", good, advisory_id=advisory.id) == ActionStatus.COMPLETED
    assert all(f.scenario != "bad_patch" for f in sim.world.truth.faults()[before:])


def test_hygiene_actions_clear_hygiene_conditions() -> None:
    sim = Sim()
    host = sim.world.fleet.service_by_suffix("acme", "web").hosts[0]
    index = sim.world.fleet.host_index[host]
    sim.world.model.state[index, 1] = 3.0  # certificate three days from expiry
    sim.run(1)
    assert "CertificateExpiringSoon" in sim.world.rules.firing_on(index)
    assert sim.act("rotate_certificate", host) == ActionStatus.COMPLETED
    sim.run(1)
    assert "CertificateExpiringSoon" not in sim.world.rules.firing_on(index)

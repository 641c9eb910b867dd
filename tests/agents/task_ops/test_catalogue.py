"""The runbook catalogue: complete, valid schemas, and verification checks that agree with the fleet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.task_ops import CATALOGUE, SPECS
from data.errors import InvalidInput
from data.models import Action, ActionStatus, RiskLevel
from data.sim.actuator import SimulatedActuator, SimulatedInventory
from data.sim.scenarios import ACTIONS, RANDOM_SCENARIOS
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_every_fleet_action_has_one_spec_with_a_check() -> None:
    assert sorted(SPECS) == sorted(ACTIONS) and len(CATALOGUE) == len(SPECS)
    for spec in CATALOGUE:
        assert spec.verify, spec.id
        assert spec.rollback is None or spec.rollback in SPECS
    assert SPECS["apply_patch"].rollback == "rollback_patch"
    assert {s.id for s in CATALOGUE if s.risk is RiskLevel.HIGH} == {"failover_database", "reboot", "isolate_host"}


def test_parameter_schemas_refuse_bad_values_naming_the_field() -> None:
    assert SPECS["scale_out"].validate_params({}) == {"replicas": 1}
    for action, params, field in (
        ("scale_out", {"replicas": 0}, "params.replicas"),
        ("scale_out", {"replicas": float("nan")}, "params.replicas"),
        ("restart_service", {"force": True}, "params.force"),
        ("apply_patch", {"package": "openssl"}, "params"),
        ("throttle_client", {"client": "x" * 500}, "params.client"),
    ):
        with pytest.raises(InvalidInput) as error:
            SPECS[action].validate_params(params)
        assert error.value.field == field


@pytest.mark.parametrize("scenario", [s for s in RANDOM_SCENARIOS if s.remedy], ids=lambda s: s.name)
def test_a_remedy_verifies_on_the_fleet_and_doing_nothing_does_not(scenario) -> None:  # type: ignore[no-untyped-def]
    world = World(seed=5, alert_sink=RecordingSink(), random_faults=False, noise=False, auto_end=False)
    actuator = SimulatedActuator(world, transient_failure_p=0.0)
    inventory = SimulatedInventory(world)
    world.step(START)
    record = world.inject(scenario.name)
    for minute in range(1, 61):
        world.step(START + timedelta(minutes=minute))
    spec = SPECS[scenario.remedy]
    host = record.root_host
    before, _ = spec.judge(inventory.observe([host]), (host,))
    result = actuator.apply(Action(action_id="a1", action_type=spec.id, agent="test", target=host))
    assert result.status is ActionStatus.COMPLETED, result.message
    after, finding = spec.judge(inventory.observe([host]), (host,))
    assert after is True, finding
    if scenario.name != "network_partition":  # a reboot's check is about pending reboots, not links
        assert before is False, f"{spec.id}'s check already held before the fix"

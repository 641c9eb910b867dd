"""Alert rules: Prometheus `for` semantics, keep_firing_for, repeats, resolution."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from data.sim.alert_rules import RULE_INDEX, RULES, RuleEngine
from data.sim.fleet import Fleet
from data.sim.metrics_simulator import SIG, SIGNALS, Effects, MetricsModel


@pytest.fixture
def engine() -> tuple[RuleEngine, np.ndarray]:
    fleet = Fleet(seed=1, n_hosts=13, n_tenants=1)
    model = MetricsModel.build(fleet, np.random.default_rng(1))
    values = model.values(datetime(2026, 1, 5, 3, tzinfo=UTC), Effects(len(fleet.hosts)), np.random.default_rng(2))
    values[:, SIG["cert_days"]] = 100.0  # no certificate close to expiry: a quiet fleet
    return RuleEngine(fleet, model.base.copy(), model.max_connections, repeat_s=600), values


def test_healthy_baseline_fires_nothing(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    out = rules.evaluate(0.0, values)
    assert out.fired == [] and out.resolved == []


def test_for_duration_is_respected(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    r = RULE_INDEX["HostHighCpuLoad"]  # cpu > 90 for 300 s
    assert RULES[r].for_s == 300
    hot = values.copy()
    hot[3, SIG["cpu"]] = 97.0
    for t in (0.0, 60.0, 120.0, 180.0, 240.0):
        assert (3, r) not in rules.evaluate(t, hot).fired, f"fired early at {t}"
    assert (3, r) in rules.evaluate(300.0, hot).fired
    assert rules.evaluate(360.0, hot).fired == []


def test_an_interrupted_condition_restarts_the_for_clock(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    r = RULE_INDEX["HostHighCpuLoad"]
    hot = values.copy()
    hot[3, SIG["cpu"]] = 97.0
    for t in (0.0, 60.0, 120.0, 180.0):
        rules.evaluate(t, hot)
    rules.evaluate(240.0, values)
    fired_at = [t for t in np.arange(300.0, 900.0, 60.0) if (3, r) in rules.evaluate(float(t), hot).fired]
    assert fired_at == [600.0]


def test_zero_for_fires_at_once_and_resolves_when_clear(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    r = RULE_INDEX["BackupJobFailed"]
    failed = values.copy()
    failed[5, SIG["backup_failed"]] = 1.0
    assert (5, r) in rules.evaluate(0.0, failed).fired
    assert (5, r) in rules.evaluate(60.0, values).resolved
    assert not rules.firing[5, r]


def test_keep_firing_for_holds_through_short_dips_and_repeats(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    r = RULE_INDEX["ErrorRateHigh"]  # for 120 s, keep firing 180 s
    bad = values.copy()
    bad[2, SIG["error_rate"]] = 40.0
    fired = [t for t in (0.0, 60.0, 120.0) if (2, r) in rules.evaluate(t, bad).fired]
    assert fired == [120.0]
    assert rules.evaluate(180.0, values).resolved == []
    assert rules.evaluate(240.0, bad).resolved == []
    for t in (300.0, 360.0, 420.0):
        assert (2, r) not in rules.evaluate(t, values).resolved
    assert (2, r) in rules.evaluate(480.0, values).resolved


def test_firing_alerts_repeat_at_the_repeat_interval(engine: tuple[RuleEngine, np.ndarray]) -> None:
    rules, values = engine
    r = RULE_INDEX["RebootRequired"]
    pending = values.copy()
    pending[1, SIG["reboot_pending"]] = 1.0
    repeats = [t for t in np.arange(0.0, 1860.0, 60.0) if (1, r) in rules.evaluate(float(t), pending).repeated]
    assert repeats == [600.0, 1200.0, 1800.0]


def test_every_rule_reads_a_known_signal() -> None:
    assert {r.signal for r in RULES} <= set(SIGNALS)
    assert len({r.name for r in RULES}) == len(RULES)

"""Metric signals: baselines, seasonality, limits and how effects combine."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from data.sim.fleet import Fleet
from data.sim.metrics_simulator import METRICS, SIG, SIGNALS, Effects, MetricsModel


def model() -> tuple[Fleet, MetricsModel]:
    fleet = Fleet(seed=1)
    return fleet, MetricsModel.build(fleet, np.random.default_rng(1))


def test_values_have_every_signal_within_physical_limits() -> None:
    fleet, m = model()
    effects = Effects(len(fleet.hosts))
    effects.apply(3, np.array([0, 1]), "cpu", "add", 500.0)
    effects.apply(3, np.array([2]), "error_rate", "add", -50.0)
    values = m.values(datetime(2026, 1, 5, 12, tzinfo=UTC), effects, np.random.default_rng(0))
    assert values.shape == (60, len(SIGNALS))
    assert values[0, SIG["cpu"]] == 100.0 and values[2, SIG["error_rate"]] == 0.0
    assert (values[:, : len(METRICS)] >= 0).all()


def test_daily_and_weekly_seasonality() -> None:
    _, m = model()
    rng = np.random.default_rng(0)
    cpu = SIG["cpu"]

    def mean_cpu(when: datetime) -> float:
        return float(np.mean([m.values(when, Effects(60), rng)[:, cpu].mean() for _ in range(20)]))

    afternoon, night = mean_cpu(datetime(2026, 1, 6, 14, tzinfo=UTC)), mean_cpu(datetime(2026, 1, 6, 2, tzinfo=UTC))
    weekend = mean_cpu(datetime(2026, 1, 10, 14, tzinfo=UTC))
    assert afternoon > night * 1.2
    assert weekend < afternoon


def test_effects_combine_and_the_strongest_source_is_the_cause() -> None:
    effects = Effects(4)
    hosts = np.array([1])
    effects.apply(-1, hosts, "latency_p95", "mult", 1.5)
    effects.apply(7, hosts, "latency_p95", "mult", 4.0)
    effects.apply(2, hosts, "error_rate", "add", 3.0)
    effects.apply(5, hosts, "error_rate", "add", 8.0)
    effects.apply(9, np.array([2, 3]), "up", "set", 0.0)
    effects.resolve()
    assert effects.mult[1, SIG["latency_p95"]] == 6.0
    assert effects.add[1, SIG["error_rate"]] == 11.0
    assert effects.cause[1, SIG["latency_p95"]] == 7 and effects.cause[1, SIG["error_rate"]] == 5
    assert effects.override[2, SIG["up"]] == 0.0 and np.isnan(effects.override[0, SIG["up"]])
    assert effects.cause[0, SIG["cpu"]] == -1


def test_disks_fill_and_certificates_age() -> None:
    _, m = model()
    disk, cert = m.base[:, SIG["disk"]].copy(), m.state[:, SIG["cert_days"] - len(METRICS)].copy()
    m.advance(86_400)
    assert (m.base[:, SIG["disk"]] >= disk).all() and (m.base[:, SIG["disk"]] > disk).any()
    assert np.allclose(m.state[:, SIG["cert_days"] - len(METRICS)], cert - 1.0)

"""Learned time tolerances (agents/delays.py)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from agents.alert_ops.delays import HopDelays, HostSpread
from tests.agents.builders import T0


def _nearest_gaps(mean_s: float, n: int, seed: int) -> list[float]:
    """Per-hop gaps of a tenant's distinct alerts: three in four are a fault's delay (exponential), the rest an
    unrelated neighbour anywhere within the hour."""
    rng = random.Random(seed)
    return [rng.expovariate(1 / mean_s) if rng.random() < 0.75 else rng.uniform(0, 3600) for _ in range(n)]


def test_a_tenant_whose_faults_travel_slowly_gets_a_longer_hop_tolerance_from_gaps_never_linked() -> None:
    delays = HopDelays(300.0, 300.0, 900.0, 3600.0)
    for gap in _nearest_gaps(300.0, 200, seed=1):  # five-minute hops: links at the 300 s tolerance often fail
        delays.observe("slow", gap)
    for gap in _nearest_gaps(40.0, 200, seed=2):
        delays.observe("quick", gap)
    assert 100 < delays.mean("slow") < 400  # unrelated neighbours are not taken for delays
    assert 25 < delays.mean("quick") < 60
    assert delays.scale("slow") > 600.0
    assert delays.scale("quick") == 300.0  # never below the configured tolerance
    assert delays.scale("unseen") == 300.0


def test_the_hop_tolerance_moves_off_the_configured_one_only_with_evidence() -> None:
    delays = HopDelays(300.0, 300.0, 900.0, 3600.0)
    assert delays.mean("acme") == pytest.approx(300.0 / HopDelays.FACTOR)
    rng = random.Random(3)
    slow = [rng.expovariate(1 / 400.0) for _ in range(60)]
    delays.observe("acme", slow[0])  # one slow alert is not yet a slow tenant
    assert delays.scale("acme") < 900.0
    for gap in slow[1:]:
        delays.observe("acme", gap)
    assert delays.scale("acme") == 900.0  # the cap: what MAX_HOPS hops can take within the horizon


def _fill(spread: HostSpread, tenant: str, gaps_within_fault: tuple[float, ...], seed: int) -> None:
    """Give each of 20 hosts faults at random hours; each fault raises alerts at the given offsets."""
    rng = random.Random(seed)
    for host in range(20):
        at = 0.0
        for _ in range(6):
            at += rng.uniform(3600, 4 * 3600)
            for offset in (0.0, *gaps_within_fault):
                spread.observe(tenant, f"h{host}", T0 + timedelta(seconds=at + offset))


def test_a_host_whose_fault_alerts_come_seconds_apart_gets_the_onset_tolerance() -> None:
    spread = HostSpread(300.0, 60.0)
    _fill(spread, "quick", (5.0,), seed=1)  # a root alert and its node-level evidence, then quiet for hours
    _fill(spread, "staggered", (40.0, 150.0, 400.0, 800.0), seed=2)  # rules with longer hold times fire minutes later
    assert spread.scale("quick") == 60.0
    assert spread.scale("staggered") == 300.0
    assert spread.scale("unseen") == 300.0  # no evidence yet: the configured tolerance


def test_too_little_background_keeps_the_configured_host_tolerance() -> None:
    spread = HostSpread(300.0, 60.0)
    for i in range(5):
        spread.observe("acme", "h1", T0 + timedelta(hours=2 * i))
        spread.observe("acme", "h1", T0 + timedelta(hours=2 * i, seconds=5))
    assert spread.scale("acme") == 300.0

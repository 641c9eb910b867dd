"""Learned time tolerances (agents/delays.py)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from agents.delays import HopDelays, HostSpread, _truncated_mean
from tests.agents.builders import T0


def test_the_hop_delay_estimate_corrects_for_the_slow_links_never_made() -> None:
    rng = random.Random(7)
    delays = HopDelays(300.0, 300.0, 900.0)
    cutoff = 375.0  # links slower than this per hop never passed the threshold, so they were never learned from
    seen = [d for d in (rng.expovariate(1 / 250.0) for _ in range(4000)) if d < cutoff]
    for gap in seen:
        delays.learn("acme", gap, cutoff)
    plain = sum(seen) / len(seen)
    assert HopDelays.FACTOR * plain < 300  # what was linked averages far below the real 250 s
    assert 300 < delays.scale("acme") < 900  # the estimate of ~20 links is noisy, but no longer biased low
    assert delays.scale("globex") == 300
    assert delays._untruncated(_truncated_mean(250.0, cutoff), cutoff) == pytest.approx(250.0, rel=1e-3)


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

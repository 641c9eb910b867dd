"""Patch advisories: arrival over time, fixed versions, and the truth about bad patches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from data.sim.advisories import AdvisoryFeed, bump_version
from data.sim.fleet import Fleet

START = datetime(2026, 1, 5, tzinfo=UTC)


def publish(seed: int, days: int) -> AdvisoryFeed:
    feed = AdvisoryFeed(Fleet(seed=1), random.Random(seed))
    for hour in range(days * 24):
        now = START + timedelta(hours=hour)
        feed.step(now.timestamp(), now)
    return feed


def test_bump_version() -> None:
    assert bump_version("3.0.2-0ubuntu1.12") == "3.0.2-0ubuntu1.13"
    assert bump_version("15.5") == "15.6"
    assert bump_version("2026-10") == "2026-11"


def test_advisories_arrive_over_time_and_are_reproducible() -> None:
    feed = publish(3, 14)
    published = feed.published()
    assert 20 <= len(published) <= 100
    assert [a.model_dump() for a in publish(3, 14).published()] == [a.model_dump() for a in published]
    fleet = feed.fleet
    for advisory in published:
        assert advisory.affected_hosts
        for name in advisory.affected_hosts:
            assert advisory.package in fleet.host(name).packages
            assert fleet.host(name).os in advisory.affected_os
        assert 0.0 <= advisory.cvss <= 10.0
    assert feed.get(published[0].id) == published[0]


def test_some_patches_are_bad_on_a_known_share_of_hosts() -> None:
    feed = publish(3, 30)
    truths = {t.id: t for t in feed.truth()}
    bad = [t for t in truths.values() if t.bad_hosts]
    assert bad and len(bad) < len(truths)
    for truth in bad:
        advisory = feed.get(truth.id)
        assert set(truth.bad_hosts) <= set(advisory.affected_hosts)
        assert truth.bad_fraction == len(truth.bad_hosts) / len(advisory.affected_hosts)
        assert feed.is_bad(truth.id, truth.bad_hosts[0])

"""The service graph learned from alert onsets: co-occurrence beyond chance, direction, operator decisions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from agents.alert_ops.learned_topology import ASSOCIATED, DISPROVED, LearnedTopology
from data.errors import NotFound
from tests.agents.builders import T0

HOUR = 3600.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cascades(learned: LearnedTopology, pairs: list[tuple[str, str]], times: int, tenant: str = "acme") -> None:
    """Let each (callee, caller) pair fail together ``times`` times, an hour apart: the callee first, the caller a
    minute later."""
    for i in range(times):
        for callee, caller in pairs:
            learned.observe(tenant, (callee,), at(i * HOUR))
            learned.observe(tenant, (caller,), at(i * HOUR + 60))


def test_a_pair_without_evidence_is_two_hops_and_one_that_fails_together_becomes_one() -> None:
    learned = LearnedTopology()
    assert learned.hops("acme", "api", "db") == 2 and learned.hops("acme", "db", "db") == 0
    cascades(learned, [("db", "api")], 4)
    assert learned.relation("acme", "api", "db") >= ASSOCIATED
    assert learned.hops("acme", "api", "db") == 1 and learned.hops("acme", "db", "api") == 1
    (edge,) = learned.edges("acme")
    assert (edge.caller, edge.callee, edge.count, edge.reverse_count) == ("api", "db", 4, 0)
    assert edge.mean_delay_s == 60.0 and edge.last_seen == at(3 * HOUR + 60) and edge.decision is None
    graph = learned.graph("acme")
    assert graph is not None and graph.downstream("api") == {"api": 0, "db": 1}
    assert learned.hops("globex", "api", "db") == 2  # another tenant learned nothing


def test_services_that_keep_failing_apart_are_not_linked() -> None:
    learned = LearnedTopology()
    for i in range(4):
        learned.observe("acme", ("cache",), at(i * 2 * HOUR))
        learned.observe("acme", ("billing",), at(i * 2 * HOUR + HOUR))
    assert learned.relation("acme", "cache", "billing") < DISPROVED
    assert learned.hops("acme", "cache", "billing") is None
    assert learned.edges("acme") == []


def test_alerts_of_one_episode_count_once() -> None:
    learned = LearnedTopology()
    for second in (0, 30, 60, 600):  # one episode of db: onsets closer than the window to each other
        learned.observe("acme", ("db",), at(second))
    learned.observe("acme", ("api",), at(620))
    (edge,) = learned.edges("acme")
    assert edge.count == 1 and edge.mean_delay_s == 20.0


def test_in_a_busy_tenant_chance_co_occurrence_is_no_evidence() -> None:
    learned = LearnedTopology()
    for i in range(40):  # two services alerting every 16 minutes, 2 minutes apart, for 10 hours: mostly chance
        learned.observe("acme", ("a",), at(i * 960))
        learned.observe("acme", ("b",), at(i * 960 + 120))
    assert learned.relation("acme", "a", "b") < ASSOCIATED
    interval = learned.onset_interval("acme")
    assert interval is not None and 400 < interval < 500


def test_an_operator_confirms_or_rejects_a_learned_edge() -> None:
    learned = LearnedTopology()
    cascades(learned, [("db", "api")], 1)
    assert learned.hops("acme", "api", "db") == 2
    edge = learned.decide("acme", "api", "db", confirmed=True)
    assert edge.decision == "confirmed" and edge.confidence == 1.0
    assert learned.hops("acme", "api", "db") == 1
    graph = learned.graph("acme")
    assert graph is not None and "db" in graph.downstream("api")
    learned.decide("acme", "db", "api", confirmed=False)  # either order names the pair
    assert learned.hops("acme", "api", "db") is None
    graph = learned.graph("acme")
    assert graph is not None and graph.graph.number_of_edges() == 0
    with pytest.raises(NotFound):
        learned.decide("acme", "api", "nowhere", confirmed=True)
    with pytest.raises(NotFound):
        learned.decide("globex", "api", "db", confirmed=True)


def test_state_round_trips_and_a_malformed_one_raises() -> None:
    learned = LearnedTopology()
    cascades(learned, [("db", "api"), ("cache", "web")], 3)
    learned.decide("acme", "web", "cache", confirmed=False)
    again = LearnedTopology()
    again.load(learned.state())
    assert again.edges("acme") == learned.edges("acme")
    assert again.hops("acme", "web", "cache") is None and again.onset_interval("acme") == learned.onset_interval("acme")
    broken = learned.state()
    broken["acme"]["decisions"] = [["a", "b", "maybe"]]
    with pytest.raises(ValueError):
        LearnedTopology().load(broken)
    with pytest.raises(KeyError):
        LearnedTopology().load({"acme": {}})


def test_memory_is_bounded_per_tenant() -> None:
    learned = LearnedTopology()
    learned.MAX_SERVICES = 5
    for i in range(20):
        learned.observe("acme", (f"s{i}",), at(i))
    assert len(learned.state()["acme"]["episodes"]) == 5

"""Tests of the tenant call graph's neighbourhoods."""

from __future__ import annotations

import pytest

from agents.alert_ops.topology import TopologyLimits, TopologyRegistry
from data.errors import InvalidInput
from data.models import TopologyIn
from tests.agents.builders import topology


def test_siblings_share_a_direct_caller_and_no_call_path() -> None:
    registry = TopologyRegistry()
    registry.set_topology(topology())
    graph = registry.get("acme")
    assert graph is not None
    assert graph.siblings("db") == frozenset({"cache"})  # api calls both
    assert graph.siblings("cache") == frozenset({"db"})
    assert graph.siblings("api") == frozenset()  # web calls api only; api's callees are related to it
    assert graph.siblings("mail") == frozenset()
    assert graph.near("db") == graph.related("db") | {"cache"}
    assert graph.siblings("unknown") == frozenset()


def star(leaves: int) -> TopologyIn:
    services = [{"name": "hub", "hosts": ["hub-1"]}] + [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(leaves)]
    deps = [["hub", f"s{i}"] for i in range(leaves)]
    return TopologyIn.model_validate({"tenant": "acme", "services": services, "dependencies": deps})


def test_a_hub_fanning_out_past_the_cap_makes_no_siblings_and_the_caches_stay_bounded() -> None:
    registry = TopologyRegistry(TopologyLimits(max_fanout=32, cache_entries=50))
    registry.set_topology(star(200))
    graph = registry.get("acme")
    assert graph is not None
    assert graph.siblings("s0") == frozenset()  # with every leaf a sibling of every other: 200 x 200
    assert graph.near("s0") == frozenset({"s0", "hub"})
    for i in range(200):
        graph.near(f"s{i}")
    assert max(len(graph._near), len(graph._related), len(graph._siblings), len(graph._distances)) <= 50
    assert graph.near("s0") == frozenset({"s0", "hub"})  # evicted, computed again the same
    registry.set_topology(star(20))  # a fan-out under the cap still makes siblings
    small = registry.get("acme")
    assert small is not None and small.siblings("s0") == frozenset(f"s{i}" for i in range(1, 20))


def test_a_graph_over_the_limits_is_refused_naming_the_field_and_the_current_one_stays() -> None:
    registry = TopologyRegistry(TopologyLimits(max_services=50, max_dependencies=30, max_services_per_host=2))
    registry.set_topology(topology())
    for too_big, field in ((star(50), "services"), (star(40), "dependencies")):
        with pytest.raises(InvalidInput) as refused:
            registry.set_topology(too_big)
        assert refused.value.field == field
    crowded = TopologyIn.model_validate(
        {"tenant": "acme", "services": [{"name": f"s{i}", "hosts": ["one"]} for i in range(3)]}
    )
    with pytest.raises(InvalidInput, match="one"):
        registry.set_topology(crowded)
    graph = registry.get("acme")
    assert graph is not None and "db" in graph.graph

"""Tests of the tenant call graph's neighbourhoods."""

from __future__ import annotations

from agents.alert_ops.topology import TopologyRegistry
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

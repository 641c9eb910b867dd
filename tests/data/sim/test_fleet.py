"""The fleet model: size, roles, sites, packages and the service dependency graph."""

from __future__ import annotations

import pytest

from data.sim.fleet import MIN_HOSTS_PER_TENANT, ROLES, Fleet


def test_default_fleet_shape() -> None:
    fleet = Fleet(seed=42)
    assert len(fleet.hosts) == 60 and len(fleet.tenants) == 4
    assert {h.role for h in fleet.hosts} == set(ROLES)
    for tenant in fleet.tenants:
        assert len(tenant.sites) == 2
        hosts = [h for h in fleet.hosts if h.tenant == tenant.name]
        assert {h.site for h in hosts} == set(tenant.sites)
        lbs = fleet.service_by_suffix(tenant.name, "lb")
        assert set(lbs.sites) == set(tenant.sites), "each site needs its own edge load balancer"
    for host in fleet.hosts:
        assert host.packages and host.os and host.criticality in ("critical", "high", "medium", "low")
        assert fleet.host(host.name) is host


def test_dependency_graph_follows_the_stack() -> None:
    fleet = Fleet(seed=42)
    edges = set(fleet.dependencies("acme"))
    assert {
        ("acme-web", "acme-api"),
        ("acme-api", "acme-db"),
        ("acme-api", "acme-cache"),
        ("acme-lb", "acme-web"),
    } <= edges
    everyone = {s.name for s in fleet.tenant_services("acme")} - {"acme-dns"}
    assert everyone == set(fleet.callers("acme-dns"))
    assert all(a.split("-")[0] == b.split("-")[0] for a, b in fleet.graph.edges), "no edge crosses tenants"
    assert fleet.callers("acme-db") == ["acme-api", "acme-auth", "acme-backup"]


def test_topology_payload_lists_every_host_once() -> None:
    fleet = Fleet(seed=42)
    topology = fleet.topology("globex")
    hosts = [h for s in topology.services for h in s.hosts]
    assert sorted(hosts) == sorted(h.name for h in fleet.hosts if h.tenant == "globex")
    assert topology.dependencies == fleet.dependencies("globex")


def test_same_seed_same_fleet_and_it_scales() -> None:
    a, b = Fleet(seed=3), Fleet(seed=3)
    assert [(h.name, h.site, h.os, h.packages) for h in a.hosts] == [
        (h.name, h.site, h.os, h.packages) for h in b.hosts
    ]
    assert [h.os for h in Fleet(seed=4).hosts] != [h.os for h in a.hosts] or [h.site for h in Fleet(seed=4).hosts] != [
        h.site for h in a.hosts
    ]
    big = Fleet(seed=3, n_hosts=2000, n_tenants=4)
    assert len(big.hosts) == 2000 and len(big.host_index) == 2000
    assert len(Fleet(seed=3, n_hosts=130, n_tenants=10).tenants) == 10


def test_too_small_a_fleet_is_refused() -> None:
    with pytest.raises(ValueError, match="per tenant"):
        Fleet(seed=1, n_hosts=MIN_HOSTS_PER_TENANT * 4 - 1, n_tenants=4)
    with pytest.raises(ValueError):
        Fleet(seed=1, n_tenants=0)

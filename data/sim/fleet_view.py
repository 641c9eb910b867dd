"""Monitoring's view of the simulated fleet: every host with its state, and the hosts counted per site,
per tenant and per state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from data.sim.fleet import Host
from data.sim.world import HostState, World

STATES = ("healthy", "degraded", "down")


@dataclass(frozen=True)
class HostView:
    host: Host
    state: HostState


@dataclass(frozen=True)
class SiteCount:
    name: str
    tenant: str
    hosts: int


@dataclass(frozen=True)
class TenantCount:
    name: str
    sites: list[str]
    hosts: int


@dataclass(frozen=True)
class FleetView:
    """The hosts in fleet order, the sites and tenants in fleet order with their host counts, and how many
    hosts are in each of `STATES` (every host is in exactly one)."""

    hosts: list[HostView]
    sites: list[SiteCount]
    tenants: list[TenantCount]
    states: dict[str, int]


def fleet_view(world: World) -> FleetView:
    """Return the fleet as monitoring sees it now (see `World.host_state`)."""
    hosts = [HostView(host, world.host_state(host.index)) for host in world.fleet.hosts]
    per_site = Counter(h.host.site for h in hosts)
    per_tenant = Counter(h.host.tenant for h in hosts)
    per_state = Counter(h.state.state for h in hosts)
    tenants = world.fleet.tenants
    return FleetView(
        hosts=hosts,
        sites=[SiteCount(s, t.name, per_site[s]) for t in tenants for s in t.sites],
        tenants=[TenantCount(t.name, list(t.sites), per_tenant[t.name]) for t in tenants],
        states={state: per_state[state] for state in STATES},
    )

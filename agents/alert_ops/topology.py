"""Per-tenant service graphs for correlation: which services an alert maps to and how far apart they are.

An edge ``a -> b`` means a calls b, so a fault in b shows up as symptoms in a (upstream). Distances
are hop counts in the undirected graph, cached per tenant and dropped when the tenant's graph is
replaced, so the ingest hot path does a dictionary lookup, not a graph search.

Whatever graph a tenant pushes, the work per alert stays bounded: a graph is refused above
`TopologyLimits` (services, call edges, services on one host), a caller that fans out to more than
``max_fanout`` services makes none of them siblings (a hub calling thousands of services is not one
caller falling back on one callee), and the neighbourhood caches hold at most ``cache_entries``
services each, least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import networkx as nx

from data.errors import InvalidInput
from data.models import TopologyIn

MAX_HOPS = 4

V = TypeVar("V")


@dataclass(frozen=True)
class TopologyLimits:
    """What one tenant's graph may hold, and how much of it is cached (settings ``TOPOLOGY_*``)."""

    max_services: int = 5_000
    max_dependencies: int = 20_000
    max_services_per_host: int = 64
    max_fanout: int = 32  # a caller with more callees than this makes no siblings
    cache_entries: int = 4_096  # per tenant and per neighbourhood kind

    def check(self, topology: TopologyIn) -> None:
        """Raise `InvalidInput` naming the field when ``topology`` is over a limit."""
        if len(topology.services) > self.max_services:
            raise InvalidInput("services", f"at most {self.max_services} services per tenant")
        if len(topology.dependencies) > self.max_dependencies:
            raise InvalidInput("dependencies", f"at most {self.max_dependencies} dependencies per tenant")
        per_host: dict[str, int] = {}
        for service in topology.services:
            for host in set(service.hosts):
                per_host[host] = per_host.get(host, 0) + 1
                if per_host[host] > self.max_services_per_host:
                    raise InvalidInput(
                        "services", f"host {host!r} runs more than {self.max_services_per_host} services"
                    )


class BoundedCache(Generic[V]):
    """A dict of at most ``capacity`` entries that drops the least recently used one. Not thread-safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> V:
        """Store ``value`` under ``key`` and return it."""
        self._items[key] = value
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value


@dataclass
class TenantGraph:
    """One tenant's services, their hosts and call edges, with cached hop distances."""

    graph: nx.DiGraph
    services_by_host: dict[str, tuple[str, ...]]
    site_of: dict[str, str | None]
    limits: TopologyLimits = field(default_factory=TopologyLimits)
    _distances: BoundedCache[dict[str, int]] = field(init=False)
    _related: BoundedCache[frozenset[str]] = field(init=False)
    _siblings: BoundedCache[frozenset[str]] = field(init=False)
    _near: BoundedCache[frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        size = self.limits.cache_entries
        self._distances, self._related = BoundedCache(size), BoundedCache(size)
        self._siblings, self._near = BoundedCache(size), BoundedCache(size)

    def call_distance(self, a: str, b: str) -> int | None:
        """Return the hops of the shortest call path between two services in either direction.

        A symptom sits upstream (caller side) of its cause, so ``a`` and ``b`` are related when one
        reaches the other along calls; two callers of a common service are not related through it.
        None when neither reaches the other within `MAX_HOPS`.
        """
        if a == b:
            return 0
        if a not in self.graph or b not in self.graph:
            return None
        down = self.downstream(a).get(b)
        up = self.downstream(b).get(a)
        return min((d for d in (down, up) if d is not None), default=None)

    def downstream(self, source: str) -> dict[str, int]:
        """Return the services ``source`` reaches along calls (within `MAX_HOPS`), with their hop counts."""
        cached = self._distances.get(source)
        if cached is None:
            found = nx.single_source_shortest_path_length(self.graph, source, cutoff=MAX_HOPS)
            cached = self._distances.put(source, dict(found))
        return cached

    def related(self, service: str) -> frozenset[str]:
        """Return every service within `MAX_HOPS` calls of ``service`` in either direction (itself included)."""
        cached = self._related.get(service)
        if cached is None:
            if service not in self.graph:
                cached = frozenset({service})
            else:
                up = nx.single_source_shortest_path_length(self.graph.reverse(copy=False), service, cutoff=MAX_HOPS)
                cached = frozenset(self.downstream(service)) | frozenset(up)
            self._related.put(service, cached)
        return cached

    def siblings(self, service: str) -> frozenset[str]:
        """Return the services that share a direct caller with ``service`` and are not `related` to it: the
        callee a caller falls back on (a cache and the database behind it) takes the load when its sibling fails,
        with no call path between the two. Callers with more than ``limits.max_fanout`` callees are left out."""
        cached = self._siblings.get(service)
        if cached is None:
            if service not in self.graph:
                cached = frozenset()
            else:
                fanout = self.limits.max_fanout
                callers = [c for c in self.graph.predecessors(service) if self.graph.out_degree(c) <= fanout]
                shared = {s for caller in callers for s in self.graph.successors(caller)}
                cached = frozenset(shared - self.related(service))
            self._siblings.put(service, cached)
        return cached

    def near(self, service: str) -> frozenset[str]:
        """Return the services an alert on ``service`` may be linked to: `related` ones and `siblings`."""
        cached = self._near.get(service)
        if cached is None:
            cached = self._near.put(service, self.related(service) | self.siblings(service))
        return cached

    def services_for(self, host: str) -> tuple[str, ...]:
        return self.services_by_host.get(host, ())


class TopologyRegistry:
    """The current graph of every tenant; replacing one tenant never touches another."""

    def __init__(self, limits: TopologyLimits | None = None) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[str, TenantGraph] = {}
        self.limits = limits or TopologyLimits()

    def set_topology(self, topology: TopologyIn) -> None:
        """Replace ``topology.tenant``'s graph (services, their hosts and call edges); raise `InvalidInput` naming
        the field, and keep the current graph, when it is over `TopologyLimits`."""
        self.limits.check(topology)
        graph = nx.DiGraph()
        services_by_host: dict[str, list[str]] = {}
        site_of: dict[str, str | None] = {}
        for service in topology.services:
            graph.add_node(service.name)
            site_of[service.name] = service.site
            for host in service.hosts:
                services_by_host.setdefault(host, []).append(service.name)
        for caller, callee in topology.dependencies:
            graph.add_edge(caller, callee)
        tenant = TenantGraph(graph, {h: tuple(s) for h, s in services_by_host.items()}, site_of, self.limits)
        with self._lock:
            self._tenants[topology.tenant] = tenant

    def get(self, tenant: str) -> TenantGraph | None:
        return self._tenants.get(tenant)

    def tenants(self) -> list[str]:
        with self._lock:
            return sorted(self._tenants)

    def snapshot(self, tenant: str) -> TopologyIn | None:
        """Return the tenant's graph in the `PUT /api/topology` shape, or None when unknown."""
        graph = self._tenants.get(tenant)
        if graph is None:
            return None
        hosts: dict[str, list[str]] = {name: [] for name in graph.graph.nodes}
        for host, services in graph.services_by_host.items():
            for service in services:
                hosts[service].append(host)
        return TopologyIn.model_validate(
            {
                "tenant": tenant,
                "services": [
                    {"name": name, "hosts": sorted(hosts[name]), "site": graph.site_of.get(name)} for name in hosts
                ],
                "dependencies": [list(edge) for edge in graph.graph.edges],
            }
        )

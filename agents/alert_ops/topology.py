"""Per-tenant service graphs for correlation: which services an alert maps to and how far apart they are.

An edge ``a -> b`` means a calls b, so a fault in b shows up as symptoms in a (upstream). Distances
are hop counts in the undirected graph, cached per tenant and dropped when the tenant's graph is
replaced, so the ingest hot path does a dictionary lookup, not a graph search.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import networkx as nx

from data.models import TopologyIn

MAX_HOPS = 4


@dataclass
class TenantGraph:
    """One tenant's services, their hosts and call edges, with cached hop distances."""

    graph: nx.DiGraph
    services_by_host: dict[str, tuple[str, ...]]
    site_of: dict[str, str | None]
    _distances: dict[str, dict[str, int]] = field(default_factory=dict)
    _related: dict[str, frozenset[str]] = field(default_factory=dict)
    _siblings: dict[str, frozenset[str]] = field(default_factory=dict)
    _near: dict[str, frozenset[str]] = field(default_factory=dict)

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
            cached = dict(nx.single_source_shortest_path_length(self.graph, source, cutoff=MAX_HOPS))
            self._distances[source] = cached
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
            self._related[service] = cached
        return cached

    def siblings(self, service: str) -> frozenset[str]:
        """Return the services that share a direct caller with ``service`` and are not `related` to it: the
        callee a caller falls back on (a cache and the database behind it) takes the load when its sibling fails,
        with no call path between the two."""
        cached = self._siblings.get(service)
        if cached is None:
            if service not in self.graph:
                cached = frozenset()
            else:
                shared = {s for caller in self.graph.predecessors(service) for s in self.graph.successors(caller)}
                cached = frozenset(shared - self.related(service))
            self._siblings[service] = cached
        return cached

    def near(self, service: str) -> frozenset[str]:
        """Return the services an alert on ``service`` may be linked to: `related` ones and `siblings`."""
        cached = self._near.get(service)
        if cached is None:
            cached = self._near[service] = self.related(service) | self.siblings(service)
        return cached

    def services_for(self, host: str) -> tuple[str, ...]:
        return self.services_by_host.get(host, ())


class TopologyRegistry:
    """The current graph of every tenant; replacing one tenant never touches another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[str, TenantGraph] = {}

    def set_topology(self, topology: TopologyIn) -> None:
        """Replace ``topology.tenant``'s graph (services, their hosts and call edges)."""
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
        tenant = TenantGraph(graph, {h: tuple(s) for h, s in services_by_host.items()}, site_of)
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

"""The hot set: incidents that new alerts can still join, indexed so a new alert is scored only against
incidents that share a host or a service with it, or hold a service within reach in the call graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from agents.incident_state import IncidentState
from agents.signals import Signal
from agents.topology import TenantGraph


class _TenantIndex:
    """One tenant's incident ids by key: outage incidents by host and by service, hygiene incidents by
    (alertname, "h", host) and (alertname, "s", service). Separate maps keep lookups on plain names."""

    __slots__ = ("hosts", "hygiene", "services")

    def __init__(self) -> None:
        self.hosts: dict[str, set[str]] = {}
        self.services: dict[str, set[str]] = {}
        self.hygiene: dict[tuple[str, str, str], set[str]] = {}

    def maps(self, hygiene: bool, signal: Signal) -> Iterator[tuple[dict[Any, set[str]], Any]]:
        """Yield (map, key) for each index entry of ``signal`` in an incident of class ``hygiene``."""
        if hygiene:
            if signal.host:
                yield self.hygiene, (signal.alertname, "h", signal.host)
            for service in signal.services:
                yield self.hygiene, (signal.alertname, "s", service)
            return
        if signal.host:
            yield self.hosts, signal.host
        for service in signal.services:
            yield self.services, service


class HotSet:
    """Per tenant: incident id -> state, and host/service -> incident ids. Not thread-safe (the engine locks)."""

    def __init__(self) -> None:
        self._incidents: dict[str, dict[str, IncidentState]] = {}
        self._by_key: dict[str, _TenantIndex] = {}

    def __len__(self) -> int:
        return sum(len(incidents) for incidents in self._incidents.values())

    def __iter__(self) -> Iterator[IncidentState]:
        for incidents in self._incidents.values():
            yield from list(incidents.values())

    def ids(self) -> set[str]:
        return {incident_id for incidents in self._incidents.values() for incident_id in incidents}

    def add(self, state: IncidentState) -> None:
        tenant = state.hot.tenant
        self._incidents.setdefault(tenant, {})[state.id] = state
        for signal in state.hot.members:
            self.index(state, signal)

    def index(self, state: IncidentState, signal: Signal) -> None:
        """Make ``state`` findable by the host and services of ``signal`` (call after adding it)."""
        index = self._by_key.get(state.hot.tenant)
        if index is None:
            index = self._by_key[state.hot.tenant] = _TenantIndex()
        incident_id = state.id
        if state.hot.hygiene:
            for keys, key in index.maps(True, signal):
                keys.setdefault(key, set()).add(incident_id)
            return
        if signal.host:
            index.hosts.setdefault(signal.host, set()).add(incident_id)
        services = index.services
        for service in signal.services:
            services.setdefault(service, set()).add(incident_id)

    def remove(self, state: IncidentState) -> None:
        tenant = state.hot.tenant
        if self._incidents.get(tenant, {}).pop(state.id, None) is None:
            return
        index = self._by_key.get(tenant)
        if index is None:
            return
        incident_id = state.id
        for signal in state.hot.members:  # a key met again (repeat members) is already gone: get() skips it
            for keys, key in index.maps(state.hot.hygiene, signal):
                ids = keys.get(key)
                if ids is not None:
                    ids.discard(incident_id)
                    if not ids:
                        del keys[key]

    def contains(self, state: IncidentState) -> bool:
        return state.id in self._incidents.get(state.hot.tenant, {})

    def candidates(
        self, signal: Signal, graph: TenantGraph | None, horizon: timedelta | None = None
    ) -> list[IncidentState]:
        """Return the hot incidents of the signal's tenant that scoring could link it to: sharing a host or a
        related service and, with ``horizon``, whose cascade front is no more than that before the signal."""
        index = self._by_key.get(signal.tenant)
        incidents = self._incidents.get(signal.tenant)
        if index is None or not incidents:
            return []
        ids: set[str] = set()
        if signal.hygiene:
            for keys, key in index.maps(True, signal):
                if found := keys.get(key):
                    ids |= found
        else:
            if signal.host and (found := index.hosts.get(signal.host)):
                ids |= found
            by_service = index.services
            for service in signal.services:
                if graph is None:
                    if found := by_service.get(service):
                        ids |= found
                    continue
                for other in by_service.keys() & graph.related(service):  # iterates the smaller of the two
                    ids |= by_service[other]
        if horizon is None:
            return [incidents[i] for i in ids if i in incidents]
        since = signal.at - horizon
        return [state for i in ids if (state := incidents.get(i)) is not None and state.hot.front >= since]

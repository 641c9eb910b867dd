"""The hot set: incidents that new alerts can still join, indexed so a new alert is scored only against
incidents that share a host or a service with it, or hold a service within reach in the call graph."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from agents.alert_ops.incident_state import IncidentState
from agents.alert_ops.signals import AlertTraits, Signal
from agents.alert_ops.topology import TenantGraph


class _TenantIndex:
    """One tenant's incident ids by key: outage incidents by host and by service, hygiene incidents by
    (alertname, "h", host) and (alertname, "s", service). Separate maps keep lookups on plain names."""

    __slots__ = ("hosts", "hygiene", "services")

    def __init__(self) -> None:
        self.hosts: dict[str, set[str]] = {}
        self.services: dict[str, set[str]] = {}
        self.hygiene: dict[tuple[str, str, str], set[str]] = {}


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

    def tenants(self) -> set[str]:
        """Return the tenants with at least one hot incident."""
        return {tenant for tenant, incidents in self._incidents.items() if incidents}

    def of_tenant(self, tenant: str) -> list[IncidentState]:
        """Return ``tenant``'s hot incidents (a copy: the caller may remove them while iterating)."""
        return list(self._incidents.get(tenant, {}).values())

    def ids(self) -> set[str]:
        return {incident_id for incidents in self._incidents.values() for incident_id in incidents}

    def add(self, state: IncidentState) -> None:
        """Make ``state`` hot, findable by the hosts and services of all its members."""
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
        traits = signal.traits
        if state.hot.hygiene:
            for key in _hygiene_keys(traits):
                _add(index.hygiene, key, incident_id)
            return
        if traits.host:
            _add(index.hosts, traits.host, incident_id)
        for service in traits.services:
            _add(index.services, service, incident_id)

    def remove(self, state: IncidentState) -> None:
        """Take ``state`` out of the hot set and its keys out of the index (nothing happens if it is not hot)."""
        tenant = state.hot.tenant
        if self._incidents.get(tenant, {}).pop(state.id, None) is None:
            return
        index = self._by_key.get(tenant)
        if index is None:
            return
        incident_id = state.id
        members = state.hot.members
        if state.hot.hygiene:
            for key in {key for signal in members for key in _hygiene_keys(signal.traits)}:
                _discard(index.hygiene, key, incident_id)
            return
        hosts, services = index.hosts, index.services
        for signal in members:  # a key met again (a repeat member) is already gone, or holds other incidents
            traits = signal.traits
            if traits.host:
                _discard(hosts, traits.host, incident_id)
            for service in traits.services:
                _discard(services, service, incident_id)

    def contains(self, state: IncidentState) -> bool:
        return state.id in self._incidents.get(state.hot.tenant, {})

    def candidates(
        self,
        signal: Signal,
        graph: TenantGraph | None,
        horizon: timedelta | None = None,
        linkable: Callable[[str, str], bool] | None = None,
    ) -> list[IncidentState]:
        """Return the hot incidents of the signal's tenant that scoring could link it to: sharing a host or a
        related service (without a ``graph``, a service ``linkable`` to the signal's, else the same one) and, with
        ``horizon``, whose cascade front is no more than that before the signal."""
        index = self._by_key.get(signal.tenant)
        incidents = self._incidents.get(signal.tenant)
        if index is None or not incidents:
            return []
        ids: set[str] = set()
        traits = signal.traits
        if traits.hygiene:
            for key in _hygiene_keys(traits):
                if found := index.hygiene.get(key):
                    ids |= found
        else:
            if traits.host and (found := index.hosts.get(traits.host)):
                ids |= found
            by_service = index.services
            for service in traits.services:
                if graph is None:
                    if linkable is not None:
                        for other in [o for o in by_service if linkable(service, o)]:
                            ids |= by_service[other]
                    elif found := by_service.get(service):
                        ids |= found
                    continue
                for other in by_service.keys() & graph.near(service):  # iterates the smaller of the two
                    ids |= by_service[other]
        if horizon is None:
            return [incidents[i] for i in ids if i in incidents]
        since = signal.at - horizon
        return [state for i in ids if (state := incidents.get(i)) is not None and state.hot.front >= since]


def _hygiene_keys(traits: AlertTraits) -> list[tuple[str, str, str]]:
    """Index keys of a hygiene incident: its alert name with each host and service, so only the same
    maintenance condition on the same host or service finds it."""
    keys = [(traits.alertname, "h", traits.host)] if traits.host else []
    return keys + [(traits.alertname, "s", service) for service in traits.services]


def _add(keys: dict[Any, set[str]], key: Any, incident_id: str) -> None:
    ids = keys.get(key)
    if ids is None:
        keys[key] = {incident_id}
    else:
        ids.add(incident_id)


def _discard(keys: dict[Any, set[str]], key: Any, incident_id: str) -> None:
    """Take ``incident_id`` out of the ids under ``key``, dropping the key once no incident is left under it."""
    ids = keys.get(key)
    if ids is not None:
        ids.discard(incident_id)
        if not ids:
            del keys[key]

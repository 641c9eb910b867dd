"""The hot set: incidents that new alerts can still join, indexed so a new alert is scored only against
incidents that share a host or a service with it, or hold a service within reach in the call graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from agents.incident_state import IncidentState
from agents.signals import Signal
from agents.topology import TenantGraph


class HotSet:
    """Per tenant: incident id -> state, and host/service -> incident ids. Not thread-safe (the engine locks)."""

    def __init__(self) -> None:
        self._incidents: dict[str, dict[str, IncidentState]] = {}
        self._by_key: dict[str, dict[tuple[str, str], set[str]]] = {}

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
        keys = self._by_key.setdefault(state.hot.tenant, {})
        for key in _keys(state.hot.hygiene, signal):
            ids = keys.get(key)
            if ids is None:
                keys[key] = {state.id}
            else:
                ids.add(state.id)

    def remove(self, state: IncidentState) -> None:
        tenant = state.hot.tenant
        if self._incidents.get(tenant, {}).pop(state.id, None) is None:
            return
        keys = self._by_key.get(tenant, {})
        for key in {k for signal in state.hot.members for k in _keys(state.hot.hygiene, signal)}:
            ids = keys.get(key)
            if ids is not None:
                ids.discard(state.id)
                if not ids:
                    del keys[key]

    def contains(self, state: IncidentState) -> bool:
        return state.id in self._incidents.get(state.hot.tenant, {})

    def candidates(
        self, signal: Signal, graph: TenantGraph | None, horizon: timedelta | None = None
    ) -> list[IncidentState]:
        """Return the hot incidents of the signal's tenant that scoring could link it to: sharing a host or a
        related service and, with ``horizon``, whose cascade front is no more than that before the signal."""
        keys = self._by_key.get(signal.tenant)
        incidents = self._incidents.get(signal.tenant)
        if not keys or not incidents:
            return []
        ids: set[str] = set()
        if signal.hygiene:
            for key in _keys(True, signal):
                if found := keys.get(key):
                    ids |= found
        else:
            if signal.host and (found := keys.get(("h", signal.host))):
                ids |= found
            for service in signal.services:
                for other in graph.related(service) if graph is not None else (service,):
                    if found := keys.get(("s", other)):
                        ids |= found
        if horizon is None:
            return [incidents[i] for i in ids if i in incidents]
        since = signal.at - horizon
        return [state for i in ids if (state := incidents.get(i)) is not None and state.hot.front >= since]


def _keys(hygiene: bool, signal: Signal) -> list[tuple[str, str]]:
    """Index keys: outage incidents by host and service; hygiene ones by those and the alert name."""
    targets = ([("h", signal.host)] if signal.host else []) + [("s", s) for s in signal.services]
    if not hygiene:
        return targets
    return [(f"{kind}:{signal.alertname}", value) for kind, value in targets]

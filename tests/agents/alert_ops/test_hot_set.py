"""The hot set's candidate index: by host and related or sibling service for outages, by alertname too for
hygiene."""

from __future__ import annotations

from datetime import timedelta

from agents.alert_ops.hot_set import HotSet
from agents.alert_ops.incident_state import IncidentState
from agents.alert_ops.signals import HotIncident, Signal
from agents.alert_ops.topology import TenantGraph, TopologyRegistry
from tests.agents.builders import T0, occurrence, topology


def graph() -> TenantGraph:
    registry = TopologyRegistry()
    registry.set_topology(topology())
    tenant = registry.get("acme")
    assert tenant is not None
    return tenant


def signal(name: str, host: str | None, services: tuple[str, ...], minutes: float, hygiene: bool = False) -> Signal:
    at = T0 + timedelta(minutes=minutes)
    return occurrence(f"{name}-{host}-{minutes}", name, host, services, at, hygiene=hygiene)


def incident_of(first: Signal) -> IncidentState:
    hot = HotIncident(f"INC-{first.fingerprint}", first.tenant, first.traits.hygiene, first.at, first.at)
    state = IncidentState(hot=hot, created_at=first.at, updated_at=first.at)
    state.add_signal(first, None)
    return state


def test_an_outage_alert_finds_incidents_on_its_host_or_a_related_service_only() -> None:
    hot, g = HotSet(), graph()
    db = incident_of(signal("DbDown", "db-1", ("db",), 0))
    mail = incident_of(signal("MailQueue", "mail-1", ("mail",), 0))
    hot.add(db)
    hot.add(mail)
    assert hot.candidates(signal("ApiErrors", "api-1", ("api",), 1), g) == [db]  # api calls db; mail unrelated
    assert hot.candidates(signal("HostLoad", "mail-1", (), 1), g) == [mail]  # same host, no service
    assert hot.candidates(signal("ApiErrors", "api-1", ("api",), 1), None) == []  # no graph: equal services only
    assert hot.candidates(signal("DbSlow", "db-2", ("db",), 1), None) == [db]
    assert hot.candidates(signal("CacheMisses", "cache-1", ("cache",), 1), g) == [db]  # a sibling under api


def test_hygiene_incidents_are_found_only_by_the_same_alertname_and_never_by_outages() -> None:
    hot, g = HotSet(), graph()
    cert = incident_of(signal("CertExpiry", "web-1", ("web",), 0, hygiene=True))
    hot.add(cert)
    assert hot.candidates(signal("CertExpiry", "web-1", ("web",), 1, hygiene=True), g) == [cert]
    assert hot.candidates(signal("BackupFailed", "web-1", ("web",), 1, hygiene=True), g) == []
    assert hot.candidates(signal("WebErrors", "web-1", ("web",), 1), g) == []


def test_the_horizon_drops_incidents_whose_front_is_too_old_and_removal_forgets_every_key() -> None:
    hot, g = HotSet(), graph()
    db = incident_of(signal("DbDown", "db-1", ("db",), 0))
    later = signal("DbLatency", "db-1", ("db",), 5)
    db.add_signal(later, None)
    hot.index(db, later)
    hot.add(db)
    probe = signal("ApiErrors", "api-1", ("api",), 90)
    assert hot.candidates(probe, g, timedelta(minutes=60)) == []  # front at 5 min, 85 min before the probe
    assert hot.candidates(probe, g, timedelta(minutes=90)) == [db]
    hot.remove(db)
    assert not hot.contains(db) and len(hot) == 0
    assert hot.candidates(probe, g) == [] and hot.candidates(signal("X", "db-1", (), 6), g) == []
    hot.add(db)  # back (a reopen): findable again under all its keys
    assert hot.candidates(signal("X", "db-1", (), 6), g) == [db]

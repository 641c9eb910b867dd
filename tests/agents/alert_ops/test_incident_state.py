"""IncidentState: memoised severity and title stay equal to computing them afresh as members arrive."""

from __future__ import annotations

from datetime import timedelta

from agents.alert_ops.incident_state import IncidentState
from agents.alert_ops.signals import HotIncident, Signal
from data.models import Incident
from tests.agents.builders import T0, occurrence


def signal(fingerprint: str, severity: int, minutes: float, service: str = "db") -> Signal:
    at = T0 + timedelta(minutes=minutes)
    host = f"{service}-1"
    return occurrence(fingerprint, f"Alert{fingerprint}", host, (service,), at, severity=severity)


def test_severity_and_title_follow_new_members_and_root_changes() -> None:
    state = IncidentState(hot=HotIncident("INC-1", "acme", False, T0, T0), created_at=T0, updated_at=T0)
    assert state.severity_rank() is None and state.title() == "Incident"
    state.add_signal(signal("a", 2, 0), None)
    state.refresh_root_cause(None)
    assert state.severity_rank() == 2 and state.title() == "Alerta on db"
    state.add_signal(signal("b", 4, 1, service="api"), "API is down")
    assert state.severity_rank() == 4
    assert state.title() == "Alerta on db (+1 related)"  # root not re-ranked yet: still db
    state.refresh_root_cause(None)
    assert state.root is not None
    fresh = state._title(state.hot.members, state.root)
    assert state.title() == fresh
    state.hot.absorb(HotIncident("INC-2", "acme", False, T0, T0, members=[signal("c", 3, 2)]))
    assert state.severity_rank() == 4
    body = state.to_body()
    assert Incident.model_validate(body).model_dump(mode="json") == body

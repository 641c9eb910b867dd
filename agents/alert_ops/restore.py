"""Restart recovery: the engine takes back the unresolved incidents the knowledge base holds.

An engine that forgot its open incidents at a restart would open a duplicate incident for every alert
a sender re-sends (Alertmanager re-sends firing alerts every repeat interval), reset their counts,
never auto-resolve what it opened before, and refuse operators' acknowledge and resolve on them. So at
start the engine reloads every incident that is not resolved, with its alerts, rebuilds the
correlation state from the alerts' labels and onsets, and hands them to the lifecycle, which takes
them from there on event time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from agents.alert_ops.correlator import Correlator
from agents.alert_ops.dedup import AlertRecord
from agents.alert_ops.incident_state import AGENT, IncidentState
from agents.alert_ops.signals import HotIncident
from agents.alert_ops.state import EngineState
from config.knowledge_base import KnowledgeBase
from data.labels import label_fingerprint
from data.models import EARLIEST_EVENT, LATEST_EVENT, AlertState, Incident, IncidentStatus

log = logging.getLogger(__name__)

UNRESOLVED = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATING)
PAGE = 500


class Restore:
    """Takes back the unresolved incidents ``kb`` holds into the engine's shared ``state``, deriving each alert's
    signal with the engine's ``correlator`` (so a restored alert is seen exactly as a delivered one)."""

    def __init__(self, state: EngineState, kb: KnowledgeBase, correlator: Correlator) -> None:
        self.state = state
        self.kb = kb
        self._correlator = correlator

    def restore(self, max_alerts: int) -> int:
        """Load the stored unresolved incidents and their alerts (at most ``max_alerts`` alerts, newest
        incidents first); return how many incidents were restored."""
        restored = 0
        for status in UNRESOLVED:
            cursor: str | None = None
            while True:
                try:
                    page = self.kb.list_incidents(status=status.value, limit=PAGE, cursor=cursor)
                except Exception:  # a stored incident that no longer reads: the rest of this status stays stored
                    log.exception("Restart: a page of %s incidents could not be read; set aside", status.value)
                    self.state.quarantined.append(f"incidents:{status.value}:{cursor or 'first page'}")
                    break
                for incident in page.items:
                    if len(self.state.records) + len(incident.alert_fingerprints) > max_alerts:
                        log.warning("Restart: alert bound reached after %d incidents; older ones stay stored", restored)
                        return restored
                    try:
                        restored += self._restore_incident(incident)
                    except Exception as error:  # `Unloadable`, or a record that breaks the rebuild
                        # Set aside, never fatal: one bad record must not stop the service from starting.
                        log.warning("Restart: incident %s set aside, it cannot be loaded: %s", incident.id, error)
                        self.state.quarantined.append(f"incident:{incident.id}")
                cursor = page.next_cursor
                if cursor is None:
                    break
        if restored:
            log.info("Restart: %d unresolved incidents taken back from the knowledge base", restored)
        return restored

    def _restore_incident(self, incident: Incident) -> int:
        """Take back one incident; raise `Unloadable` (before changing any state) when it or one of its alerts
        holds a time no sender may send now (e.g. stored before times were bounded)."""
        tenant = incident.tenant  # the engine stores every incident with its tenant
        if tenant is None:
            return 0
        alerts = [a for fp in incident.alert_fingerprints if (a := self.kb.get_alert(fp, tenant)) is not None]
        if not alerts:
            return 0
        _check_times(f"incident {incident.id}", (incident.createdAt, incident.updatedAt))
        for alert in alerts:
            _check_times(f"alert {alert.fingerprint}", (alert.startsAt, alert.endsAt, alert.lastSeen))
        # Each alert's tenant is its incident's: incidents never span tenants.
        records = sorted(
            (AlertRecord.of(a.fingerprint, tenant, a) for a in alerts), key=lambda r: (r.starts_at, r.fingerprint)
        )
        signals = [self._correlator.signal(record, record.starts_at) for record in records]
        opener = signals[0]
        hot = HotIncident(incident.id, opener.tenant, opener.traits.hygiene, opener.at, opener.at)
        body = incident.model_dump(mode="json")
        state = IncidentState(
            hot=hot,
            created_at=incident.createdAt,
            updated_at=incident.updatedAt,
            status=incident.status,
            processing_state=incident.processingState,
            timeline=body["timeline"],
            why_trace=body["why_trace"],
            agents=[name for name in incident.agents if name != AGENT],
        )
        for record, signal in zip(records, signals, strict=True):
            # An alert that fired again into another incident is listed by both; it is live in its own.
            own = record.incident_id == incident.id
            state.add_signal(signal, record.annotations.get("summary"))
            state.mark(record.fingerprint, own and record.status is AlertState.FIRING)
            if own or record.key not in self.state.records:
                self.state.hold(record)
                if record.fingerprint == label_fingerprint(record.labels):  # not one its sender gave
                    self.state.fingerprints.remember(record)
        # The stored updatedAt may be an operator's (wall) time: alert activity restarts the quiet period.
        activity = max(r.ends_at or r.last_seen if r.status is AlertState.RESOLVED else r.last_seen for r in records)
        state.updated_at = max(state.updated_at, activity)
        if incident.updatedAt > state.updated_at:
            state.acted_at = incident.updatedAt
        state.stored_body = body
        self.state.incidents[incident.id] = state
        self.state.hot.add(state)
        self.state.observe(state.hot.tenant, state.updated_at)
        return 1


class Unloadable(ValueError):
    """A stored record the engine cannot take back."""


def _check_times(what: str, times: tuple[datetime | None, ...]) -> None:
    for at in times:
        if at is not None and not EARLIEST_EVENT < at < LATEST_EVENT:
            raise Unloadable(f"{what}: {at.isoformat()} is outside the event-time range")

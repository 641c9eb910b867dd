"""The state the alert engine's collaborators share: one object, handed to each of them.

`agents.alert_ops.engine.AlertOps` owns it and the lock that serialises every access; the correlator
(`agents.alert_ops.correlator`), the lifecycle (`agents.alert_ops.lifecycle`) and restart recovery
(`agents.alert_ops.restore`) receive it in their constructors, so every field they read or write is
declared here and nowhere else.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from agents.alert_ops.dedup import AlertRecord, FingerprintIndex, RecordKey
from agents.alert_ops.hot_set import HotSet
from agents.alert_ops.incident_state import IncidentState


@dataclass
class EngineState:
    """The alerts and incidents the engine holds in memory, and the event-time clocks they are judged by.

    Event time is per tenant: a tenant's clock is the newest event time among its own alerts, or the shared
    ``floor`` the engine's owner moves (`AlertOps.advance_to`, e.g. the simulator's clock) when that is later.
    No tenant's alerts move another tenant's time.
    """

    records: dict[RecordKey, AlertRecord] = field(default_factory=dict)  # by (tenant, fingerprint); see `hold`
    tracked_bytes: int = 0  # estimated bytes of ``records`` (`AlertRecord.size`)
    fingerprints: FingerprintIndex = field(default_factory=FingerprintIndex)
    incidents: dict[str, IncidentState] = field(default_factory=dict)
    hot: HotSet = field(default_factory=HotSet)
    resolving: dict[str, IncidentState] = field(default_factory=dict)  # open, out of the hot set, all alerts ended
    clocks: dict[str, datetime] = field(default_factory=dict)  # per tenant: the newest event time of its alerts
    floor: datetime | None = None  # the owner's clock, shared by every tenant
    # Per tenant, (onset, opened an incident) of each distinct alert within the reduction window: alertsReduced
    new_fingerprints: dict[str, deque[tuple[datetime, bool]]] = field(default_factory=dict)
    since_prune: int = 0  # sweeps since the last prune
    last_sweep: dict[str, datetime] = field(default_factory=dict)  # per tenant: its event time at its last sweep

    def hold(self, record: AlertRecord) -> None:
        """Track ``record`` under its key (replacing the one held there), counting its bytes."""
        previous = self.records.get(record.key)
        if previous is not None:
            self.tracked_bytes -= previous.size
        self.records[record.key] = record
        self.tracked_bytes += record.size

    def drop(self, key: RecordKey) -> None:
        """Stop tracking the record under ``key``."""
        self.tracked_bytes -= self.records.pop(key).size

    def annotate(self, record: AlertRecord, annotations: dict[str, str]) -> None:
        """Replace a held record's annotations, keeping the byte count right."""
        record.annotations = annotations
        size = record.estimate_size()
        self.tracked_bytes += size - record.size
        record.size = size

    def now(self, tenant: str) -> datetime | None:
        """Return ``tenant``'s event time: its newest alert's, or the shared floor when later (None before both)."""
        own = self.clocks.get(tenant)
        if own is None or (self.floor is not None and self.floor > own):
            return self.floor
        return own

    def observe(self, tenant: str, at: datetime) -> None:
        """Move ``tenant``'s clock to ``at`` when that is later (event time never goes back)."""
        own = self.clocks.get(tenant)
        if own is None or at > own:
            self.clocks[tenant] = at

    def tenants(self) -> set[str]:
        """Return every tenant with a clock or a hot incident."""
        return self.clocks.keys() | self.hot.tenants()

    quarantined: list[str] = field(default_factory=list)  # stored records set aside at start-up (logged)
    opened_in_batch: list[str] = field(default_factory=list)  # incidents opened by the batch being ingested
    moved_alerts: list[AlertRecord] = field(default_factory=list)  # alerts re-pointed or timed out, stored with it

    def follow(self, incident_id: str | None) -> IncidentState | None:
        """Return the incident ``incident_id`` lives on as (following merges), or None when it is not held."""
        state = self.incidents.get(incident_id or "")
        while state is not None and state.merged_into is not None:
            state = self.incidents.get(state.merged_into)
        return state

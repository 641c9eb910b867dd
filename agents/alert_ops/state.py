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

from agents.alert_ops.dedup import AlertRecord, FingerprintIndex
from agents.alert_ops.hot_set import HotSet
from agents.alert_ops.incident_state import IncidentState


@dataclass
class EngineState:
    """The alerts and incidents the engine holds in memory, and the event-time clock they are judged by."""

    records: dict[str, AlertRecord] = field(default_factory=dict)  # by fingerprint
    fingerprints: FingerprintIndex = field(default_factory=FingerprintIndex)
    incidents: dict[str, IncidentState] = field(default_factory=dict)
    hot: HotSet = field(default_factory=HotSet)
    resolving: dict[str, IncidentState] = field(default_factory=dict)  # open, out of the hot set, all alerts ended
    watermark: datetime | None = None  # the newest event time seen
    # (onset, opened an incident) of each distinct alert within the reduction window: the alertsReduced figure
    new_fingerprints: deque[tuple[datetime, bool]] = field(default_factory=deque)
    since_prune: int = 0  # sweeps since the last prune
    last_sweep: datetime | None = None  # event time of the last sweep
    opened_in_batch: list[str] = field(default_factory=list)  # incidents opened by the batch being ingested
    moved_alerts: list[AlertRecord] = field(default_factory=list)  # alerts re-pointed or timed out, stored with it

    def follow(self, incident_id: str | None) -> IncidentState | None:
        """Return the incident ``incident_id`` lives on as (following merges), or None when it is not held."""
        state = self.incidents.get(incident_id or "")
        while state is not None and state.merged_into is not None:
            state = self.incidents.get(state.merged_into)
        return state

"""Alert identity and repeat handling: fingerprints, last-seen/count, resolution and flap damping."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from data.models import AlertIn, AlertState
from data.timeutil import iso_z

FLAP_WINDOW = timedelta(minutes=30)
FLAP_TRANSITIONS = 4  # state changes within the window that mark an alert as flapping

SEVERITY_RANK = {"critical": 4, "page": 4, "error": 3, "high": 3, "major": 3, "warning": 2, "medium": 2, "minor": 2}


def severity_rank(label: str | None) -> int:
    """Return 0 (info/unknown) to 4 (critical) for a ``severity`` label value."""
    return SEVERITY_RANK.get((label or "").lower(), 1 if label else 0)


def label_fingerprint(labels: dict[str, str]) -> str:
    """Return a stable 16-hex-digit hash of the sorted label set (independent of label order)."""
    parts: list[bytes] = []
    for name in sorted(labels):
        parts += (name.encode(), b"\xff", labels[name].encode(), b"\xfe")
    return hashlib.sha256(b"".join(parts)).hexdigest()[:16]  # one update: same bytes as one per part


def fingerprint_of(alert: AlertIn) -> str:
    """Return the sender's fingerprint when it gave one, else the hash of the label set."""
    return alert.fingerprint or label_fingerprint(alert.labels)


@dataclass
class AlertRecord:
    """The engine's live view of one fingerprint."""

    fingerprint: str
    tenant: str
    labels: dict[str, str]
    annotations: dict[str, str]
    status: AlertState
    starts_at: datetime
    ends_at: datetime | None
    last_seen: datetime
    source: str | None
    count: int = 1
    incident_id: str | None = None
    transitions: deque[datetime] = field(default_factory=deque)

    @property
    def flapping(self) -> bool:
        return len(self.transitions) >= FLAP_TRANSITIONS

    def to_body(self) -> dict[str, object]:
        """Return the record in the stored JSON form of `data.models.Alert` (built directly: valid by construction)."""
        return {
            "fingerprint": self.fingerprint,
            "incident_id": self.incident_id,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "status": self.status.value,
            "startsAt": iso_z(self.starts_at),
            "endsAt": iso_z(self.ends_at) if self.ends_at is not None else None,
            "lastSeen": iso_z(self.last_seen),
            "count": self.count,
            "source": self.source,
        }

    def note_transition(self, at: datetime) -> None:
        self.transitions.append(at)
        while self.transitions and at - self.transitions[0] > FLAP_WINDOW:
            self.transitions.popleft()


def is_resolved(alert: AlertIn, now: datetime) -> bool:
    """An alert is resolved when it says so, or when its ``endsAt`` is not after ``now`` (event time)."""
    return alert.status is AlertState.RESOLVED or (alert.endsAt is not None and alert.endsAt <= now)

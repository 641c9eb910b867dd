"""Alert identity and repeat handling: fingerprints, last-seen/count, resolution and flap damping."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.alert_ops.signals import AlertTraits
from data.labels import label_fingerprint
from data.models import Alert, AlertIn, AlertState
from data.timeutil import iso_text

RecordKey = tuple[str, str]  # (tenant, fingerprint): a sender's fingerprint only names an alert within its tenant

# Estimated bytes of a record beyond its label and annotation text (the object, its dicts, datetimes, deque).
RECORD_OVERHEAD_BYTES = 1_024

FLAP_WINDOW = timedelta(minutes=30)
FLAP_TRANSITIONS = 4  # state changes within the window that mark an alert as flapping

SEVERITY_RANK = {"critical": 4, "page": 4, "error": 3, "high": 3, "major": 3, "warning": 2, "medium": 2, "minor": 2}


def severity_rank(label: str | None) -> int:
    """Return 0 (info/unknown) to 4 (critical) for a ``severity`` label value."""
    return SEVERITY_RANK.get((label or "").lower(), 1 if label else 0)


def fingerprint_of(alert: AlertIn) -> str:
    """Return the sender's fingerprint when it gave one, else the hash of the label set."""
    return alert.fingerprint or label_fingerprint(alert.labels)


class FingerprintIndex:
    """The label-hash fingerprints of tracked alerts, found by their label set as delivered.

    A source re-sends every firing alert (Prometheus each evaluation), so most deliveries repeat a label
    set already seen: this index answers them with one hash of the labels in delivery order and one
    comparison with the label set the fingerprint was computed from, instead of hashing the sorted
    labels again. A miss (new alert, other label order, hash collision) computes the fingerprint; the
    answer is always ``label_fingerprint(labels)``. Not thread-safe (the engine locks).
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Mapping[str, str], str, RecordKey]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def fingerprint(self, alert: AlertIn) -> str:
        """Return `fingerprint_of` ``alert``."""
        if alert.fingerprint:
            return alert.fingerprint
        labels = alert.labels
        known = self._known.get(hash(tuple(labels.items())))
        if known is not None and known[0] == labels:
            return known[1]
        return label_fingerprint(labels)

    def remember(self, record: AlertRecord) -> None:
        """Index a new record whose fingerprint is the hash of its labels (not one its sender gave)."""
        self._known[hash(tuple(record.labels.items()))] = (record.labels, record.fingerprint, record.key)

    def retain(self, records: Mapping[RecordKey, AlertRecord]) -> None:
        """Forget the label sets of alerts no longer in ``records`` (keeps memory bounded by them)."""
        self._known = {
            key: entry for key, entry in self._known.items()
            if (record := records.get(entry[2])) is not None and record.labels is entry[0]
        }  # fmt: skip


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
    traits: AlertTraits | None = field(default=None, compare=False, repr=False)  # memo of correlation's view
    size: int = field(default=0, compare=False, repr=False)  # estimated bytes held (`estimate_size`)

    def __post_init__(self) -> None:
        self.size = self.estimate_size()

    def estimate_size(self) -> int:
        """Return the estimated bytes the record holds: its label and annotation text plus a fixed overhead."""
        text = sum(len(k) + len(v) for d in (self.labels, self.annotations) for k, v in d.items())
        return RECORD_OVERHEAD_BYTES + text

    @classmethod
    def of(cls, fingerprint: str, tenant: str, alert: AlertIn | Alert) -> AlertRecord:
        """Return the engine's record of ``alert`` under ``fingerprint`` for ``tenant``: a stored `Alert` keeps its
        status, last-seen time, count and incident; a delivered `AlertIn` is a new firing record, seen once, at
        its ``startsAt``. Labels and annotations are copied, so the record never shares the caller's dicts."""
        stored = alert if isinstance(alert, Alert) else None
        return cls(
            fingerprint=fingerprint,
            tenant=tenant,
            labels=dict(alert.labels),
            annotations=dict(alert.annotations),
            status=stored.status if stored is not None else AlertState.FIRING,
            starts_at=alert.startsAt,
            ends_at=alert.endsAt,
            last_seen=stored.lastSeen if stored is not None else alert.startsAt,
            source=alert.source,
            count=stored.count if stored is not None else 1,
            incident_id=stored.incident_id if stored is not None else None,
        )

    @property
    def key(self) -> RecordKey:
        """The engine's key of the record: its tenant and fingerprint."""
        return (self.tenant, self.fingerprint)

    @property
    def flapping(self) -> bool:
        return len(self.transitions) >= FLAP_TRANSITIONS

    def to_body(self) -> dict[str, object]:
        """Return the record in the stored JSON form of `data.models.Alert` (built directly: valid by construction).

        The label and annotation dicts are shared, not copied: the engine never mutates them (new annotations
        replace the dict) and stores hand out copies.
        """
        return {
            "fingerprint": self.fingerprint,
            "incident_id": self.incident_id,
            "labels": self.labels,
            "annotations": self.annotations,
            "status": self.status.value,
            "startsAt": iso_text(self.starts_at),
            "endsAt": iso_text(self.ends_at) if self.ends_at is not None else None,
            "lastSeen": iso_text(self.last_seen),
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

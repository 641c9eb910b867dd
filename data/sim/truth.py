"""The simulator's ground truth, kept apart from everything agents can see.

Every fault (root-cause host and service, start, end, correct remedy, what it touched) and every
emitted alert occurrence, keyed by ``(fingerprint, startsAt)``, with the fault that caused it or
``None`` for noise. Only the evaluation endpoints and the offline export read it.
"""

from __future__ import annotations

import threading
from datetime import datetime

from pydantic import Field

from data.models import Model
from data.timeutil import UtcDatetime


class FaultRecord(Model):
    """One fault: what broke, where, when, how it was meant to be fixed and how it ended."""

    id: str
    scenario: str
    title: str
    severity: str
    tenant: str
    root_host: str
    root_service: str
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    end_reason: str | None = Field(default=None, description="remedy action, self_heal, operator or None while active")
    remedy: str | None
    also_fixes: list[str] = Field(default_factory=list)
    origin: str = Field(description="random, injected, or the action that caused it")
    affected_services: list[str] = Field(default_factory=list)
    affected_hosts: list[str] = Field(default_factory=list)


class AlertTruth(Model):
    """One emitted alert occurrence and its cause (``fault_id`` None = noise or hygiene)."""

    fingerprint: str
    startsAt: UtcDatetime
    alertname: str
    instance: str
    fault_id: str | None
    noise_id: str | None = Field(
        default=None, description="for noise, the condition that raised it (one flapping pool, one blip), if known"
    )


class TruthLog:
    """Append-only, thread-safe record of faults and alert causes; reads return copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, FaultRecord] = {}
        self._order: list[str] = []
        self._alerts: list[AlertTruth] = []
        self._alert_keys: dict[tuple[str, datetime], int] = {}

    def add_fault(self, record: FaultRecord) -> None:
        with self._lock:
            self._faults[record.id] = record
            self._order.append(record.id)

    def update_fault(self, fault_id: str, **changes: object) -> None:
        """Replace fields of a recorded fault (end time, affected hosts, ...)."""
        with self._lock:
            self._faults[fault_id] = self._faults[fault_id].model_copy(update=changes)

    def record_alert(
        self,
        fingerprint: str,
        starts_at: datetime,
        alertname: str,
        instance: str,
        fault_id: str | None,
        noise_id: str | None = None,
    ) -> None:
        """Record an alert occurrence once; repeats and its resolution share the key and are not re-recorded."""
        key = (fingerprint, starts_at)
        with self._lock:
            if key in self._alert_keys:
                return
            self._alert_keys[key] = len(self._alerts)
            self._alerts.append(
                AlertTruth(
                    fingerprint=fingerprint,
                    startsAt=starts_at,
                    alertname=alertname,
                    instance=instance,
                    fault_id=fault_id,
                    noise_id=noise_id,
                )
            )

    def fault_of(self, fingerprint: str, starts_at: datetime) -> str | None:
        """Return the fault id recorded for an alert occurrence; KeyError when it was never emitted."""
        with self._lock:
            return self._alerts[self._alert_keys[(fingerprint, starts_at)]].fault_id

    def fault(self, fault_id: str) -> FaultRecord:
        with self._lock:
            return self._faults[fault_id]

    def faults(self, offset: int = 0, limit: int | None = None) -> list[FaultRecord]:
        """Return faults in start order from ``offset``."""
        with self._lock:
            ids = self._order[offset:] if limit is None else self._order[offset : offset + limit]
            return [self._faults[i] for i in ids]

    def alerts(self, offset: int = 0, limit: int | None = None) -> list[AlertTruth]:
        """Return alert occurrences in emission order from ``offset``."""
        with self._lock:
            return list(self._alerts[offset:] if limit is None else self._alerts[offset : offset + limit])

    def counts(self) -> tuple[int, int]:
        """Return (faults, alert occurrences) recorded so far."""
        with self._lock:
            return len(self._order), len(self._alerts)

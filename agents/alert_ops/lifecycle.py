"""The time-driven lifecycle of the alert engine: auto-resolve, leaving the hot set, alert time-outs, pruning.

Everything here runs on event time (the engine's watermark), so a replayed stream resolves and forgets
exactly as the live one did. Memory policy: an incident leaves the hot set one correlation horizon after
its last alert; a firing alert that is not sent again for `LifecyclePolicy.stale_after` times out (like
Alertmanager's resolve_timeout), one with an ``endsAt`` resolves at it; resolved alerts and their
incidents are forgotten after the reopen window (the store keeps them); and past
`LifecyclePolicy.max_tracked_alerts` the least recently seen firing alerts time out early, so a storm
of alerts that never resolve cannot grow memory without bound.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.alert_ops.dedup import AlertRecord, FingerprintIndex
from agents.alert_ops.hot_set import HotSet
from agents.alert_ops.incident_state import IncidentState
from agents.alert_ops.link_score import CooccurrenceStats, CorrelationWeights
from data.models import AlertState, IncidentStatus

log = logging.getLogger(__name__)

SWEEP_STEP = timedelta(seconds=30)


@dataclass(frozen=True)
class LifecyclePolicy:
    quiet_period: timedelta = timedelta(minutes=10)  # all alerts resolved this long -> auto-resolve
    reopen_window: timedelta = timedelta(minutes=30)  # same alert fires again within this -> reopen
    reduction_window: timedelta = timedelta(hours=24)  # window of the alertsReduced figure
    # A firing alert with no endsAt that is not sent again for this long is taken as resolved (Alertmanager's
    # resolve_timeout, sized for senders that re-send rarely); one with an endsAt resolves at it.
    stale_after: timedelta = timedelta(hours=24)
    # Hard bound on the alerts held in memory: past it, the least recently seen firing ones time out early.
    max_tracked_alerts: int = 200_000


class Lifecycle:
    """The lifecycle half of `agents.alert_ops.engine.AlertOps` (which owns the state declared here and the lock)."""

    policy: LifecyclePolicy
    weights: CorrelationWeights
    cooccurrence: CooccurrenceStats
    _records: dict[str, AlertRecord]
    _fingerprints: FingerprintIndex
    _incidents: dict[str, IncidentState]
    _hot: HotSet
    _resolving: dict[str, IncidentState]
    _watermark: datetime | None
    _new_fingerprints: deque[tuple[datetime, bool]]
    _since_prune: int
    _last_sweep: datetime | None
    _moved_alerts: list[AlertRecord]

    def _follow(self, incident_id: str | None) -> IncidentState | None:
        state = self._incidents.get(incident_id or "")
        while state is not None and state.merged_into is not None:
            state = self._incidents.get(state.merged_into)
        return state

    def _sweep(self, touched: dict[str, IncidentState]) -> None:
        """Auto-resolve quiet incidents and drop stale ones from the hot set (event time).

        Runs when event time has moved by a sweep step since the last run: lifecycle times are minutes,
        so checking every batch would only repeat work. An incident leaves the hot set once its last
        alert is older than the correlation horizon (no new alert can link to it then), firing or not;
        one still open waits in ``_resolving`` for its alerts to end and the quiet period to pass.
        """
        now = self._watermark
        if now is None or (self._last_sweep is not None and now - self._last_sweep < SWEEP_STEP):
            return
        self._last_sweep = now
        horizon = timedelta(seconds=self.weights.max_gap_s)
        for state in self._hot:
            self._maybe_resolve(state, now, touched)
            if now - state.hot.last_at > horizon:
                self._hot.remove(state)
                if state.status is not IncidentStatus.RESOLVED and state.all_resolved:
                    self._resolving[state.id] = state
        for state in list(self._resolving.values()):
            if self._hot.contains(state) or state.status is IncidentStatus.RESOLVED or not state.all_resolved:
                del self._resolving[state.id]  # reopened, resolved by an operator, or firing again
            elif self._maybe_resolve(state, now, touched):
                del self._resolving[state.id]
        self._since_prune += 1
        if self._since_prune >= 100:  # about every 50 minutes of event time, or every 100 batches in a fast replay
            self._prune(now)

    def _maybe_resolve(self, state: IncidentState, now: datetime, touched: dict[str, IncidentState]) -> bool:
        quiet = now - state.updated_at >= self.policy.quiet_period
        if state.status is not IncidentStatus.RESOLVED and state.all_resolved and quiet:
            self._set_status(state, IncidentStatus.RESOLVED, now, "all alerts resolved and quiet")
            self._learn(state)
            touched[state.id] = state
            return True
        return False

    def _expire(self, now: datetime) -> None:
        """Resolve firing alerts past their endsAt or silent for `stale_after`, then, while more than
        `max_tracked_alerts` are held, the least recently seen firing ones (so a storm of alerts that
        never resolve cannot grow memory without bound)."""
        firing = [r for r in self._records.values() if r.status is AlertState.FIRING]
        for record in firing:
            if record.ends_at is not None and record.ends_at <= now:
                self._time_out(record, record.ends_at)
            elif record.ends_at is None and now - record.last_seen >= self.policy.stale_after:
                self._time_out(record, record.last_seen + self.policy.stale_after)
        cap = self.policy.max_tracked_alerts
        excess = len(self._records) - cap * 9 // 10  # down to 90 %, so the scan is not repeated every batch
        if len(self._records) > cap:
            firing = sorted((r for r in firing if r.status is AlertState.FIRING), key=lambda r: r.last_seen)
            log.warning("Tracking %d alerts; timing out the %d least recently seen", len(self._records), excess)
            for record in firing[:excess]:
                self._time_out(record, max(record.last_seen, record.starts_at))
                del self._records[record.fingerprint]
            self._fingerprints.retain(self._records)

    def _time_out(self, record: AlertRecord, at: datetime) -> None:
        record.status = AlertState.RESOLVED
        record.ends_at = at
        self._moved_alerts.append(record)
        state = self._follow(record.incident_id)
        if state is not None and state.fingerprints.get(record.fingerprint):
            state.mark(record.fingerprint, False)  # nothing stored changes until the incident resolves
            if state.all_resolved and state.status is not IncidentStatus.RESOLVED and not self._hot.contains(state):
                self._resolving[state.id] = state

    def _prune(self, now: datetime) -> None:
        """Time out stale alerts, then forget resolved alerts and incidents past the reopen window: the store
        keeps them."""
        self._since_prune = 0
        self._expire(now)
        keep_after = now - max(self.policy.reopen_window, timedelta(seconds=self.weights.max_gap_s))
        for fingerprint, record in list(self._records.items()):
            if record.status is AlertState.RESOLVED and (record.ends_at or record.last_seen) < keep_after:
                del self._records[fingerprint]
        self._fingerprints.retain(self._records)
        live = {r.incident_id for r in self._records.values()}
        hot_ids = self._hot.ids()
        for incident_id in list(self._incidents):
            if incident_id not in live and incident_id not in hot_ids and incident_id not in self._resolving:
                del self._incidents[incident_id]
        cutoff = now - self.policy.reduction_window
        while self._new_fingerprints and self._new_fingerprints[0][0] < cutoff:
            self._new_fingerprints.popleft()

    def _learn(self, state: IncidentState) -> None:
        self.cooccurrence.learn(set(state.hot.alertnames))

    def _set_status(
        self, state: IncidentState, status: IncidentStatus, at: datetime, why: str, *, operator: bool = False
    ) -> None:
        state.status = status
        state.processing_state = status.value
        if status is IncidentStatus.RESOLVED:
            state.resolved_at = at
        state.note(at, f"Status {status.value}: {why}", operator=operator)

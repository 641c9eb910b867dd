"""The time-driven lifecycle of the alert engine: auto-resolve, leaving the hot set, alert time-outs, pruning.

Everything here runs on event time (each tenant's own: `agents.alert_ops.state.EngineState.now`), so a
replayed stream resolves and forgets exactly as the live one did. Memory policy: an incident leaves the
hot set one correlation horizon after its last alert; a firing alert that is not sent again for
`LifecyclePolicy.stale_after` times out (like Alertmanager's resolve_timeout), one with an ``endsAt``
resolves at it; resolved alerts and their incidents are forgotten after the reopen window (the store
keeps them); and past `LifecyclePolicy.max_tracked_alerts` the least recently seen firing alerts time
out early, so a storm of alerts that never resolve cannot grow memory without bound.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.alert_ops.dedup import AlertRecord
from agents.alert_ops.incident_state import IncidentState
from agents.alert_ops.link_score import CorrelationWeights, Scorer
from agents.alert_ops.state import EngineState
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
    # Hard bounds on the alerts held in memory, by count and by estimated bytes (`AlertRecord.size`): past
    # either, the least recently seen firing ones time out early.
    max_tracked_alerts: int = 200_000
    max_tracked_bytes: int = 512 * 1024 * 1024


class Lifecycle:
    """Resolves, times out and forgets on event time, in the engine's shared ``state`` (the engine holds the lock);
    what a resolved incident teaches goes to the ``scorer``'s co-occurrence statistics."""

    def __init__(
        self, state: EngineState, weights: CorrelationWeights, policy: LifecyclePolicy, scorer: Scorer
    ) -> None:
        self.state = state
        self.weights = weights
        self.policy = policy
        self._scorer = scorer

    def sweep(self, touched: dict[str, IncidentState]) -> None:
        """Auto-resolve quiet incidents and drop stale ones from the hot set (each tenant on its own event time).

        A tenant is swept when its event time has moved by a sweep step since its last sweep: lifecycle times
        are minutes, so checking every batch would only repeat work. An incident leaves the hot set once its
        last alert is older than the correlation horizon (no new alert can link to it then), firing or not;
        one still open waits in ``state.resolving`` for its alerts to end and the quiet period to pass.
        """
        due: dict[str, datetime] = {}
        for tenant in self.state.tenants():
            now = self.state.now(tenant)
            last = self.state.last_sweep.get(tenant)
            if now is not None and (last is None or now - last >= SWEEP_STEP):
                due[tenant] = self.state.last_sweep[tenant] = now
        if not due:
            return
        horizon = timedelta(seconds=self.weights.max_gap_s)
        for tenant, now in due.items():
            for state in self.state.hot.of_tenant(tenant):
                self._maybe_resolve(state, now, touched)
                if now - state.hot.last_at > horizon:
                    self.state.hot.remove(state)
                    if state.status is not IncidentStatus.RESOLVED and state.all_resolved:
                        self.state.resolving[state.id] = state
        for state in list(self.state.resolving.values()):
            if self.state.hot.contains(state) or state.status is IncidentStatus.RESOLVED or not state.all_resolved:
                del self.state.resolving[state.id]  # reopened, resolved by an operator, or firing again
            elif (now := due.get(state.hot.tenant)) is not None and self._maybe_resolve(state, now, touched):
                del self.state.resolving[state.id]
        self.state.since_prune += 1
        if self.state.since_prune >= 100:  # about every 50 minutes of event time, or every 100 batches in a fast replay
            self._prune()

    def _maybe_resolve(self, state: IncidentState, now: datetime, touched: dict[str, IncidentState]) -> bool:
        quiet = now - state.updated_at >= self.policy.quiet_period
        if state.status is not IncidentStatus.RESOLVED and state.all_resolved and quiet:
            self.set_status(state, IncidentStatus.RESOLVED, now, "all alerts resolved and quiet")
            self.learn(state)
            touched[state.id] = state
            return True
        return False

    def expire(self) -> None:
        """Resolve firing alerts past their endsAt or silent for `stale_after` (on their tenant's event time), then,
        while more than `max_tracked_alerts` are held, the least recently seen firing ones (so a storm of alerts
        that never resolve cannot grow memory without bound)."""
        firing = [r for r in self.state.records.values() if r.status is AlertState.FIRING]
        clocks = {tenant: self.state.now(tenant) for tenant in {r.tenant for r in firing}}
        for record in firing:
            now = clocks[record.tenant]
            if now is None:
                continue
            if record.ends_at is not None and record.ends_at <= now:
                self._time_out(record, record.ends_at)
            elif record.ends_at is None and now - record.last_seen >= self.policy.stale_after:
                self._time_out(record, record.last_seen + self.policy.stale_after)
        if self.over_bounds():
            # Down to 90 % of both bounds, so the scan is not repeated every batch.
            count_goal, bytes_goal = self.policy.max_tracked_alerts * 9 // 10, self.policy.max_tracked_bytes * 9 // 10
            firing = sorted((r for r in firing if r.status is AlertState.FIRING), key=lambda r: r.last_seen)
            held, held_bytes = len(self.state.records), self.state.tracked_bytes
            dropped = 0
            for record in firing:
                if len(self.state.records) <= count_goal and self.state.tracked_bytes <= bytes_goal:
                    break
                self._time_out(record, max(record.last_seen, record.starts_at))
                self.state.drop(record.key)
                dropped += 1
            log.warning(
                "Tracking %d alerts (%d bytes); timed out the %d least recently seen", held, held_bytes, dropped
            )
            self.state.fingerprints.retain(self.state.records)

    def over_bounds(self) -> bool:
        """Return True when the alerts held exceed `LifecyclePolicy.max_tracked_alerts` or ``max_tracked_bytes``."""
        return (
            len(self.state.records) > self.policy.max_tracked_alerts
            or self.state.tracked_bytes > self.policy.max_tracked_bytes
        )

    def _time_out(self, record: AlertRecord, at: datetime) -> None:
        record.status = AlertState.RESOLVED
        record.ends_at = at
        self.state.moved_alerts.append(record)
        state = self.state.follow(record.incident_id)
        if state is not None and state.fingerprints.get(record.fingerprint):
            state.mark(record.fingerprint, False)  # nothing stored changes until the incident resolves
            if (
                state.all_resolved
                and state.status is not IncidentStatus.RESOLVED
                and not self.state.hot.contains(state)
            ):
                self.state.resolving[state.id] = state

    def _prune(self) -> None:
        """Time out stale alerts, then forget resolved alerts and incidents past the reopen window (on their tenant's
        event time): the store keeps them."""
        self.state.since_prune = 0
        self.expire()
        keep = max(self.policy.reopen_window, timedelta(seconds=self.weights.max_gap_s))
        for key, record in list(self.state.records.items()):
            now = self.state.now(record.tenant)
            if now is None or record.status is not AlertState.RESOLVED:
                continue
            if (record.ends_at or record.last_seen) < now - keep:
                self.state.drop(key)
        self.state.fingerprints.retain(self.state.records)
        live = {r.incident_id for r in self.state.records.values()}
        hot_ids = self.state.hot.ids()
        for incident_id in list(self.state.incidents):
            if incident_id not in live and incident_id not in hot_ids and incident_id not in self.state.resolving:
                del self.state.incidents[incident_id]
        for tenant, onsets in self.state.new_fingerprints.items():
            now = self.state.now(tenant)
            cutoff = now - self.policy.reduction_window if now is not None else None
            while onsets and cutoff is not None and onsets[0][0] < cutoff:
                onsets.popleft()

    def learn(self, state: IncidentState) -> None:
        self._scorer.cooccurrence.learn(set(state.hot.alertnames), state.hot.tenant)

    def set_status(
        self, state: IncidentState, status: IncidentStatus, at: datetime, why: str, *, operator: bool = False
    ) -> None:
        state.status = status
        state.processing_state = status.value
        if status is IncidentStatus.RESOLVED:
            state.resolved_at = at
        state.note(at, f"Status {status.value}: {why}", operator=operator)

"""The orchestrator: the one composer of autonomous remediation.

Each tick it perceives open incidents (their alerts, PredictiveOps' open risks on the root host, recent
patches), asks the `AgentSelector` which agents are relevant, collects TaskOps' proposals, decides with
the learning policy (`LearningLoop.choose`), acts only through the guarded Executor, and verifies: an
action counts as a success only when the Executor verified it from observed state AND the incident then
resolved within ``resolve_window_s``. Every attempt becomes an `OutcomeRecord` (the learning loop's
facts), every selected agent's usefulness is recorded for the selector, and each step is appended to the
incident's timeline. No language model decides anything; narration runs afterwards on its own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from agents.base import AgentState
from agents.orchestrator.decisions import DecisionLog, Tracked
from agents.orchestrator.perception import Offer, perceive
from agents.orchestrator.ports import ActionPort, Proposer, Rollouts, Timeline
from config.agent_selector import AgentSelector
from config.bedrock_client import IncidentFacts, Narrator
from config.knowledge_base import KnowledgeBase
from config.learning import Candidate, LearningLoop
from data.execution import ActionRequest, ExecutedAction, ExecutionState
from data.models import Incident, IncidentStatus, LogType, OutcomeRecord
from data.timeutil import utc_now

log = logging.getLogger(__name__)

NAME = "Orchestrator"
REQUESTER = f"agent:{NAME}"
_OPEN = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATING)
_REFUSED = (ExecutionState.BLOCKED, ExecutionState.CANCELLED)  # a guardrail said not now: ask again later
_DECLINED = (ExecutionState.REJECTED, ExecutionState.EXPIRED)  # a person said no (or never answered): move on
_RAN = (ExecutionState.SUCCEEDED, ExecutionState.FAILED, ExecutionState.UNKNOWN)


class Orchestrator:
    """See the module docstring. `tick` runs on one thread (the app's loop or a bench); reads are thread-safe."""

    def __init__(
        self,
        kb: KnowledgeBase,
        executor: ActionPort,
        proposer: Proposer,
        selector: AgentSelector,
        learning: LearningLoop,
        clock: Callable[[], datetime],
        *,
        timeline: Timeline | None = None,
        rollouts: Rollouts | None = None,
        narrator: Narrator | None = None,
        enabled: Callable[[], bool] = lambda: True,
        min_confidence: float = 0.5,
        settle_s: float = 120.0,
        resolve_window_s: float = 1800.0,
        retry_after_s: float = 300.0,
        max_attempts: int = 3,
        failure_memory_s: float = 6 * 3600.0,
    ) -> None:
        self._kb = kb
        self._executor = executor
        self._proposer = proposer
        self._selector = selector
        self._learning = learning
        self._now = clock
        self._timeline = timeline
        self._rollouts = rollouts
        self._narrator = narrator
        self._narration = ThreadPoolExecutor(1, thread_name_prefix="narration") if narrator else None
        self._enabled = enabled
        self.min_confidence = min_confidence
        self.settle = timedelta(seconds=settle_s)
        self.resolve_window = timedelta(seconds=resolve_window_s)
        self.retry_after = timedelta(seconds=retry_after_s)
        self.max_attempts = max_attempts
        self.failure_memory = timedelta(seconds=failure_memory_s)
        self.decisions = DecisionLog(kb)
        self._tracked: dict[str, Tracked] = {}
        self._lock = threading.Lock()
        self._actions = 0
        self._last_action: datetime | None = None
        self._failing = False

    # ------------------------------------------------------------------ the loop body

    def tick(self) -> list[ExecutedAction]:
        """Verify what is in flight, then decide for every settled open incident; return the new submissions."""
        try:
            now = self._now()
            self._verify(now)
            submitted = []
            if self._enabled():
                for incident in self._open_incidents():
                    record = self._consider(incident, now)
                    if record is not None:
                        submitted.append(record)
            self._failing = False
            return submitted
        except Exception:
            self._failing = True
            raise

    def run_once(self) -> None:
        """One tick of the app's loop (its worker logs a failed tick and goes on)."""
        self.tick()

    def _open_incidents(self) -> list[Incident]:
        found: list[Incident] = []
        for status in _OPEN:
            cursor: str | None = None
            while True:
                page = self._kb.list_incidents(status=status.value, limit=200, cursor=cursor)
                found.extend(page.items)
                if (cursor := page.next_cursor) is None:
                    break
        return sorted(found, key=lambda i: (i.createdAt, i.id))

    def _consider(self, incident: Incident, now: datetime) -> ExecutedAction | None:
        if now - incident.createdAt < self.settle:
            return None  # let the first minutes' alerts join before judging the cause
        tracked = self._tracked.get(incident.id)
        if tracked is not None and (tracked.action_id is not None or tracked.done):
            return None
        if tracked is not None and tracked.refused_at is not None and now - tracked.refused_at < self.retry_after:
            return None
        seen = perceive(self._kb, self._proposer, self._learning, incident, now)
        if tracked is None:
            selection = self._selector.select(seen.features)
            tracked = Tracked.start(incident, seen, selection)
            self._tracked[incident.id] = tracked
            self._step(incident.id, "agents selected", tracked.selection_json(), "selecting")
            if "PatchOps" in selection.selected and self._rollouts is not None and incident.rootCauseHost:
                tracked.paused_plans = self._rollouts.pause_on_host(
                    incident.rootCauseHost, reason=f"incident {incident.id} on this host"
                )
                if tracked.paused_plans:
                    self._step(incident.id, "roll-outs paused", {"plans": tracked.paused_plans}, None)
        tracked.offers = [o.as_json() for o in seen.offers]
        if "TaskOps" not in tracked.selected:
            tracked.done = True
            self.decisions.save(tracked)
            return None
        offer = self._decide(tracked, seen.offers, now)
        if offer is None:
            self.decisions.save(tracked)
            return None
        return self._act(incident, tracked, offer, now)

    def _failed_lately(self, action: str, target: str, now: datetime) -> bool:
        """Whether ``action`` failed its verification on ``target`` recently, for any incident."""
        failed = self._kb.list_executions(
            target=target, state=ExecutionState.FAILED.value, since=now - self.failure_memory, limit=50
        ).items
        return any(r.request.action == action and r.verified is False for r in failed)

    def _decide(self, tracked: Tracked, offers: list[Offer], now: datetime) -> Offer | None:
        """Return the offer the policy picks among the untried eligible ones (None: nothing to try)."""
        if len(tracked.attempts) >= self.max_attempts:
            tracked.done = True
            return None
        eligible = [
            offer
            for offer in offers
            if (offer.proposal.action, offer.proposal.target) not in tracked.tried
            and not self._failed_lately(offer.proposal.action, offer.proposal.target, now)
        ]
        if not eligible:
            tracked.done = True
            return None
        candidates = [Candidate(o.proposal.action, o.prior) for o in eligible]  # choose adds the record
        choice = self._learning.choose(tracked.signature, candidates)
        value = choice.draws[choice.action]
        tracked.choice = {"action": choice.action, "draws": choice.draws, "learned": choice.learned, "value": value}
        if value < self.min_confidence:
            # The pick's value (its prior with learning off, a posterior draw with it on) is below the bar the
            # operator set: no action for this incident. One draw per decision, so an uncertain remedy is still
            # tried now and then (exploration) while one that keeps failing almost never is.
            tracked.done = True
            return None
        return next(o for o in eligible if o.proposal.action == choice.action)

    def _act(self, incident: Incident, tracked: Tracked, offer: Offer, now: datetime) -> ExecutedAction:
        p = offer.proposal
        request = ActionRequest(
            action=p.action,
            target=p.target,
            tenant=p.tenant,
            params=dict(p.params),
            reason=f"{tracked.signature}: {'; '.join(offer.evidence[:4])}"[:1000],
            requested_by=REQUESTER,
            confidence=round(min(max(offer.expected_benefit, 0.0), 1.0), 4),
            incident_id=incident.id,
            idempotency_key=f"orch:{incident.id}:{p.action}:{p.target}:{len(tracked.attempts)}",
            context={"signature": tracked.signature[:200], "symptom": p.symptom, "role": p.role},
        )
        record = self._executor.submit(request)
        tracked.attempt(p.action, p.target, record, now)
        if record.state in _REFUSED:
            tracked.refused(now)  # a guardrail said no: ask again later, nothing was learned
        else:
            tracked.action_id = record.id
        if record.started_at is not None:
            with self._lock:
                self._actions += 1
                self._last_action = utc_now()
        self._step(incident.id, "action submitted", tracked.attempts[-1], "remediating")
        self.decisions.save(tracked)
        return record

    # ------------------------------------------------------------------ verification and outcomes

    def _verify(self, now: datetime) -> None:
        for incident_id, tracked in list(self._tracked.items()):
            incident = self._kb.get_incident(incident_id)
            resolved = incident is not None and incident.status is IncidentStatus.RESOLVED
            if tracked.action_id is None:
                if resolved or incident is None:
                    self._close(tracked, incident, None, resolved)
                continue
            record = self._executor.get(tracked.action_id)
            if record is None or not record.final:
                continue
            tracked.update_attempt(record)
            if record.state in _REFUSED:
                tracked.action_id = None
                tracked.refused(now)
                continue
            if record.state in _DECLINED:
                tracked.action_id = None  # nothing ran, so nothing is learned; the next candidate may be tried
                self.decisions.save(tracked)
                continue
            finished = record.finished_at or now
            if record.verified and resolved:
                self._close(tracked, incident, record, True)
            elif record.verified is False or record.state is not ExecutionState.SUCCEEDED:
                self._learn(tracked, incident, record, verified=False)
            elif now - finished >= self.resolve_window:
                self._learn(tracked, incident, record, verified=False)  # ran and checked out, did not resolve it
            elif incident is None:
                self._close(tracked, None, record, False)

    def _learn(self, tracked: Tracked, incident: Incident | None, record: ExecutedAction, *, verified: bool) -> None:
        """Record a failed attempt; the incident stays open for the next candidate."""
        self._record_outcome(tracked, incident, record, verified=verified)
        tracked.action_id = None
        self._step(tracked.incident_id, "remedy did not resolve", {"action": record.request.action}, "selecting")
        self.decisions.save(tracked)

    def _close(self, tracked: Tracked, incident: Incident | None, record: ExecutedAction | None, ok: bool) -> None:
        ran = any(ExecutionState(a["state"]) in _RAN for a in tracked.attempts)
        if record is not None:
            self._record_outcome(tracked, incident, record, verified=ok)
            self._step(tracked.incident_id, "remedy verified", {"action": record.request.action}, "verified")
        elif not ran and incident is not None and incident.status is IncidentStatus.RESOLVED:
            self._record_outcome(tracked, incident, None, verified=None)  # resolved without automation: baseline
        for agent, score in tracked.scores.items():
            # Judged only when something ran: a refusal or an unanswered approval says nothing of the agents.
            if ran and agent != "AlertOps" and agent in tracked.selected:
                self._selector.record(score, tracked.useful(agent, ok and record is not None))
        tracked.done = True
        tracked.closed = True
        self.decisions.save(tracked)
        del self._tracked[tracked.incident_id]
        if self._narration is not None and incident is not None:
            self._narration.submit(self._narrate, incident, tracked)

    def _record_outcome(
        self, tracked: Tracked, incident: Incident | None, record: ExecutedAction | None, *, verified: bool | None
    ) -> None:
        resolved = incident is not None and incident.resolvedAt is not None and verified is not False
        ttr = (
            (incident.resolvedAt - incident.createdAt).total_seconds()
            if resolved and incident and incident.resolvedAt
            else None
        )
        outcome = OutcomeRecord(
            incident_id=tracked.incident_id,
            status=incident.status.value if incident is not None else "gone",
            agents_used=list(tracked.selected),
            actions=[record.request.action] if record is not None else [],
            success=verified,
            timestamp=self._now(),
            signature=tracked.signature,
            verified=verified,
            time_to_resolve_s=max(ttr, 0.0) if ttr is not None else None,
            rolled_back=bool(record is not None and record.state is ExecutionState.FAILED and record.result is None),
        )
        self._learning.record(outcome)
        tracked.outcome = outcome.model_dump(mode="json")
        log.info(
            "Outcome of %s on %s: %s",
            outcome.actions or "no action",
            tracked.incident_id,
            {True: "verified", False: "not verified", None: "resolved without automation"}[verified],
            extra={"log_type": LogType.INFO, "agent": NAME},
        )

    def _step(self, incident_id: str, event: str, details: dict[str, Any], state: str | None) -> None:
        if self._timeline is not None:
            self._timeline.record_step(incident_id, event, agent=NAME, details=details, processing_state=state)

    def _narrate(self, incident: Incident, tracked: Tracked) -> None:
        """Write the narrative after the decision (never on the loop's thread; never changes a decision)."""
        assert self._narrator is not None
        facts = IncidentFacts(
            incident_id=incident.id, title=incident.title, severity=incident.severity.value,
            status=incident.status.value, tenant=incident.tenant, services=incident.services,
            hosts=incident.hosts, alert_count=len(incident.alert_fingerprints), root_cause=incident.rootCause,
            root_cause_service=incident.rootCauseService, root_cause_host=incident.rootCauseHost,
            confidence=incident.confidence, actions=[a["action"] for a in tracked.attempts],
        )  # fmt: skip
        narrative = self._narrator.narrate(facts)
        self.decisions.set_narrative(incident.id, narrative)

    # ------------------------------------------------------------------ what the API shows

    def explain(self, incident_id: str, similar_limit: int = 5) -> dict[str, Any] | None:
        """Return the decision record of ``incident_id`` (selection, proposals, decision, attempts, outcome,
        narrative) with past incidents of its signature that a verified action resolved; None if never seen."""
        body = self.decisions.get(incident_id)
        if body is None:
            return None
        signature = body.get("signature")
        past = self._learning.similar(signature, exclude_incident=incident_id, limit=50) if signature else []
        body["similar"] = [
            {
                "incident_id": o.incident_id,
                "action": o.actions[0] if o.actions else None,
                "verified": o.verified,
                "time_to_resolve_s": o.time_to_resolve_s,
                "at": o.timestamp.isoformat(),
            }
            for o in past
            if o.verified or not o.actions
        ][:similar_limit]
        return body

    def learning_report(self) -> dict[str, Any]:
        """Return the policy's statistics per (signature, action) and the selector's threshold and history."""
        return {
            "enabled": self._learning.enabled,
            "statistics": [
                {
                    "signature": arm.signature,
                    "action": arm.action,
                    "successes": arm.successes,
                    "failures": arm.failures,
                    "tries": arm.tries,
                    "success_rate": arm.success_rate,
                    "mean_resolve_s": arm.mean_resolve_s,
                }
                for arm in self._learning.statistics()
            ],
            "selector": self._selector.report(),
        }

    # ------------------------------------------------------------------ state for the registry

    def activity(self) -> tuple[int, datetime | None]:
        """Return how many actions the orchestrator has had started, and when it last did (wall time)."""
        with self._lock:
            return self._actions, self._last_action

    @property
    def failing(self) -> bool:
        """Whether the last tick raised."""
        return self._failing

    def health(self) -> AgentState:
        """Failing when the last tick raised, active while an action is in flight, else idle."""
        if self._failing:
            return AgentState.FAILING
        return AgentState.ACTIVE if self.in_flight() else AgentState.IDLE

    def in_flight(self) -> int:
        return sum(1 for t in list(self._tracked.values()) if t.action_id is not None)

    def close(self) -> None:
        if self._narration is not None:
            self._narration.shutdown(wait=True, cancel_futures=True)

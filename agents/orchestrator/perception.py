"""What the orchestrator perceives about one incident: its signature, the evidence of the other agents,
and the proposals with their expected benefit (TaskOps' estimate, raised by PredictiveOps' evidence)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.orchestrator.ports import Proposal, Proposer
from config.agent_selector import IncidentFeatures
from config.knowledge_base import KnowledgeBase
from config.learning import LearningLoop, incident_signature
from data.models import Alert, Incident, Risk, RiskState

# An open risk or anomaly on the root host that predicts the same remedy moves its estimate this far
# towards certainty: two agents agreeing from independent evidence (forecast, live alerts).
RISK_AGREEMENT = 0.5
PATCH_ACTIONS = ("apply_patch",)
PATCH_LOOKBACK = timedelta(hours=6)


@dataclass(frozen=True)
class Offer:
    """A remedy put to the decision: the proposal, the agents' estimate (``prior``: TaskOps' confidence,
    raised by PredictiveOps' agreement), the expected benefit (that estimate updated by the recorded
    outcomes of this action on this kind of incident) and why."""

    proposal: Proposal
    prior: float
    expected_benefit: float
    evidence: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        p = self.proposal
        return {
            "agent": "TaskOps",
            "action": p.action,
            "target": p.target,
            "expected_benefit": round(self.expected_benefit, 4),
            "proposer_confidence": round(p.confidence, 4),
            "prior": round(self.prior, 4),
            "risk": p.risk,
            "symptom": p.symptom,
            "evidence": list(self.evidence)[:10],
        }


@dataclass(frozen=True)
class Perception:
    signature: str
    features: IncidentFeatures
    offers: list[Offer]
    risks: list[Risk]
    recent_patch: bool


def root_alert_names(incident: Incident, alerts: Sequence[Alert]) -> list[str]:
    """Return the alert names on the root-cause host (every alert name when the root host is unknown)."""
    host = incident.rootCauseHost
    on_root = [a for a in alerts if host and (a.labels.get("host") or a.labels.get("instance")) == host]
    return [a.labels.get("alertname", "") for a in (on_root or alerts)]


def open_risks(kb: KnowledgeBase, host: str | None) -> list[Risk]:
    """Return the open risks forecast for ``host`` (none without a host)."""
    if not host:
        return []
    return kb.list_risks(host=host, state=RiskState.OPEN.value, limit=50).items


def patched_lately(kb: KnowledgeBase, host: str | None, now: datetime) -> bool:
    """Whether a patch was installed on ``host`` within PATCH_LOOKBACK (from the Executor's records)."""
    if not host:
        return False
    records = kb.list_executions(target=host, since=now - PATCH_LOOKBACK, limit=100).items
    return any(r.request.action in PATCH_ACTIONS and r.started_at is not None for r in records)


def offers_for(
    proposals: Sequence[Proposal], risk_proposals: Sequence[Proposal], expected: Callable[[str, float], float]
) -> list[Offer]:
    """Return the proposals as offers, best expected benefit first; a remedy a forecast also proposes for the
    same target has its estimate moved RISK_AGREEMENT of the way to 1; ``expected(action, prior)`` gives
    the benefit learned from recorded outcomes."""
    agreeing = {(p.action, p.target): p for p in risk_proposals}
    offers = []
    for proposal in proposals:
        evidence = list(proposal.evidence)
        benefit = proposal.confidence
        backing = agreeing.get((proposal.action, proposal.target))
        if backing is not None:
            benefit += (1.0 - benefit) * RISK_AGREEMENT
            evidence.append(f"PredictiveOps: {'; '.join(backing.evidence[:2])}")
        prior = min(benefit, 1.0)
        offers.append(Offer(proposal, prior, expected(proposal.action, prior), evidence))
    return sorted(offers, key=lambda o: (-o.expected_benefit, o.proposal.action))


def perceive(
    kb: KnowledgeBase, proposer: Proposer, learning: LearningLoop, incident: Incident, now: datetime
) -> Perception:
    """Return what is known of ``incident`` for a decision (reads the store; no side effects)."""
    alerts = kb.list_alerts(incident_id=incident.id, limit=500).items
    signature = incident_signature(root_alert_names(incident, alerts))
    risks = open_risks(kb, incident.rootCauseHost)
    risk_proposals = [p for risk in risks for p in proposer.for_risk(risk)]
    offers = offers_for(
        proposer.for_incident(incident, alerts),
        risk_proposals,
        lambda action, prior: learning.expected(signature, action, prior),
    )
    recent_patch = patched_lately(kb, incident.rootCauseHost, now)
    features = IncidentFeatures(
        alert_names=frozenset(a.labels.get("alertname", "") for a in alerts) - {""},
        risk_on_root=bool(risks),
        recent_patch=recent_patch,
        best_remedy_prior=offers[0].expected_benefit if offers else None,
    )
    return Perception(signature, features, offers, risks, recent_patch)

"""The orchestrator's record of one incident: selection, proposals, decision, attempts, outcome, narrative.

`Tracked` is the working state while an incident is handled; `DecisionLog` stores its JSON form in the
knowledge base (one setting per incident), which the incident page reads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from config.agent_selector import Selection
from config.bedrock_client import Narrative
from config.knowledge_base import KnowledgeBase
from data.execution import ExecutedAction
from data.models import Incident
from data.timeutil import iso_text

if TYPE_CHECKING:
    from agents.orchestrator.perception import Perception

PREFIX = "orchestrator:"


@dataclass
class Tracked:
    """One incident the orchestrator is handling (or has handled)."""

    incident_id: str
    signature: str
    scores: dict[str, float]
    reasons: dict[str, str]
    threshold: float
    adaptive: bool
    selected: tuple[str, ...]
    risk_on_root: bool
    recent_patch: bool
    offers: list[dict[str, Any]] = field(default_factory=list)
    choice: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    tried: set[tuple[str, str]] = field(default_factory=set)
    action_id: str | None = None
    refused_at: datetime | None = None
    paused_plans: list[str] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    done: bool = False
    closed: bool = False

    @classmethod
    def start(cls, incident: Incident, seen: Perception, selection: Selection) -> Tracked:
        return cls(
            incident_id=incident.id,
            signature=seen.signature,
            scores=dict(selection.scores),
            reasons=dict(selection.reasons),
            threshold=selection.threshold,
            adaptive=selection.adaptive,
            selected=selection.selected,
            risk_on_root=seen.features.risk_on_root,
            recent_patch=seen.recent_patch,
        )

    def selection_json(self) -> dict[str, Any]:
        return {
            "scores": self.scores,
            "reasons": self.reasons,
            "threshold": self.threshold,
            "adaptive": self.adaptive,
            "selected": list(self.selected),
        }

    def attempt(self, action: str, target: str, record: ExecutedAction, at: datetime) -> None:
        self.tried.add((action, target))
        self.attempts.append(
            {
                "action": action,
                "target": target,
                "action_id": record.id,
                "state": record.state.value,
                "blocked_by": record.blocked_by,
                "verified": record.verified,
                "submitted_at": iso_text(at),
                "policy": self.choice,
            }
        )

    def update_attempt(self, record: ExecutedAction) -> None:
        for entry in self.attempts:
            if entry["action_id"] == record.id:
                entry.update(state=record.state.value, verified=record.verified, blocked_by=record.blocked_by)

    def refused(self, at: datetime) -> None:
        """A guardrail refused the request: it may be asked again later, so it is not 'tried'."""
        self.refused_at = at
        if self.attempts:
            last = self.attempts[-1]
            self.tried.discard((last["action"], last["target"]))

    def useful(self, agent: str, resolved_by_action: bool) -> bool:
        """Whether ``agent``'s contribution was part of a verified outcome (the selector's quality signal)."""
        if agent == "TaskOps":
            return resolved_by_action
        if agent == "PredictiveOps":
            return resolved_by_action and self.risk_on_root
        if agent == "PatchOps":
            last = self.attempts[-1]["action"] if self.attempts else None
            return bool(self.paused_plans) or (resolved_by_action and last == "rollback_patch")
        return True

    def as_json(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "signature": self.signature,
            "selection": self.selection_json(),
            "proposals": self.offers,
            "decision": self.choice,
            "attempts": self.attempts,
            "paused_rollouts": self.paused_plans,
            "outcome": self.outcome,
            "closed": self.closed,
        }


class DecisionLog:
    """Stores each incident's decision record; the narrative is added later by the narration thread."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._lock = threading.Lock()

    def save(self, tracked: Tracked) -> None:
        with self._lock:
            key = PREFIX + tracked.incident_id
            narrative = (self._kb.get_setting(key) or {}).get("narrative")
            self._kb.put_setting(key, {**tracked.as_json(), "narrative": narrative})

    def set_narrative(self, incident_id: str, narrative: Narrative) -> None:
        with self._lock:
            key = PREFIX + incident_id
            body = self._kb.get_setting(key) or {"incident_id": incident_id}
            body["narrative"] = {
                "summary": narrative.summary,
                "root_cause": narrative.root_cause,
                "source": narrative.source,
                "fallback_reason": narrative.fallback_reason,
            }
            self._kb.put_setting(key, body)

    def get(self, incident_id: str) -> dict[str, Any] | None:
        """Return the stored decision record of ``incident_id`` (None: the orchestrator never saw it)."""
        return self._kb.get_setting(PREFIX + incident_id)

"""An incident as the engine holds it while it is hot, and its conversion to the stored `Incident` model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.alert_ops.root_cause import RootCause, rank_root_cause
from agents.alert_ops.signals import HotIncident, Signal
from agents.alert_ops.topology import TenantGraph
from data.models import Incident, IncidentStatus, Severity
from data.timeutil import iso_text

MAX_TIMELINE = 500
MAX_WHY_TRACE = 200
AGENT = "AlertOps"

_SEVERITY_BY_RANK = {4: Severity.CRITICAL, 3: Severity.HIGH, 2: Severity.MEDIUM, 1: Severity.LOW, 0: Severity.INFO}


def incident_id_for(tenant: str, fingerprint: str, at: datetime) -> str:
    """Return a deterministic id from the opening alert, so a replayed stream yields the same ids."""
    digest = hashlib.sha1(f"{tenant}|{fingerprint}|{at.isoformat()}".encode(), usedforsecurity=False)
    return f"INC-{digest.hexdigest()[:10]}"


@dataclass
class IncidentState:
    """Everything the engine knows about one incident; `to_model` gives the stored form."""

    hot: HotIncident
    created_at: datetime
    updated_at: datetime  # event time of the last alert or engine change: the quiet period counts from it
    acted_at: datetime | None = None  # when an operator last changed it; stored as updatedAt when later
    status: IncidentStatus = IncidentStatus.OPEN
    processing_state: str = "correlating"
    resolved_at: datetime | None = None
    merged_into: str | None = None
    fingerprints: dict[str, bool] = field(default_factory=dict)  # fingerprint -> currently firing
    timeline: list[dict[str, Any]] = field(default_factory=list)  # entries in their stored (JSON) form
    why_trace: list[dict[str, Any]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)  # other agents that took part (AlertOps is always listed)
    root: RootCause | None = None
    titles: dict[str, str] = field(default_factory=dict)  # fingerprint -> summary annotation
    stored_body: dict[str, Any] | None = None  # the body last stored by ingest (None: unknown), never mutated
    _ranked_shape: tuple[int, int] = (0, 0)
    _firing: int = 0
    # Memos of values derived from the members, which only ever grow: (members seen, highest severity) and
    # (members, root, fingerprints, titles, title) -- the title changes only when one of those does.
    _severity_memo: tuple[int, int | None] = (0, None)
    _title_memo: tuple[int, RootCause | None, int, int, str] | None = None

    @property
    def id(self) -> str:
        return self.hot.id

    @property
    def all_resolved(self) -> bool:
        return self._firing == 0

    def mark(self, fingerprint: str, firing: bool) -> None:
        """Record whether one of the incident's alerts is firing (keeps the firing count in step)."""
        before = self.fingerprints.get(fingerprint, False)
        self.fingerprints[fingerprint] = firing
        self._firing += int(firing) - int(before)

    def merge_fingerprints(self, other: IncidentState) -> None:
        """Take over the alerts of ``other`` with their firing state."""
        for fingerprint, firing in other.fingerprints.items():
            self.mark(fingerprint, firing)

    def note(self, at: datetime, event: str, *, operator: bool = False, agent: str = AGENT, **details: Any) -> None:
        """Append a timeline entry. An operator's entry is not alert activity: it does not restart the quiet
        period, which an operator's clock (wall time) would otherwise hold off in a replay of past events."""
        if len(self.timeline) < MAX_TIMELINE:
            # Kept in stored form: an entry never changes, so it is encoded once, not on every save.
            self.timeline.append({"time": iso_text(at), "event": event, "agent": agent, "details": details})
        if operator:
            self.acted_at = at if self.acted_at is None else max(self.acted_at, at)
        else:
            self.updated_at = max(self.updated_at, at)

    def trace(self, decision: dict[str, Any]) -> None:
        if len(self.why_trace) < MAX_WHY_TRACE:
            self.why_trace.append(decision)

    def add_signal(self, signal: Signal, summary: str | None) -> None:
        """Add one occurrence as firing; its ``summary`` (the first one given) may title the incident."""
        self.hot.add(signal)
        self.mark(signal.fingerprint, True)
        if summary:
            self.titles.setdefault(signal.fingerprint, summary)
        self.updated_at = max(self.updated_at, signal.at)

    def refresh_root_cause(self, graph: TenantGraph | None, opens: Callable[[str], float] | None = None) -> None:
        """Re-rank when the incident's services or hosts changed since the last ranking (else it cannot move much:
        later alerts on known services only add mass far from the onset); ``opens`` as in
        `agents.alert_ops.root_cause.rank_root_cause`."""
        shape = (len(self.hot.services), len(self.hot.hosts))
        if self.root is not None and shape == self._ranked_shape:
            return
        self._ranked_shape = shape
        self.root = rank_root_cause(self.hot.members, graph, opens)

    def severity_rank(self) -> int | None:
        """Return the highest severity rank of the members (None without members)."""
        members = self.hot.members
        seen, top = self._severity_memo
        if seen > len(members):
            seen, top = 0, None
        if seen < len(members):
            newest = max(m.traits.severity for m in members[seen:])
            top = newest if top is None else max(top, newest)
            self._severity_memo = (len(members), top)
        return top

    def title(self) -> str:
        """Return the incident's title: the summary, or the name, of the most severe earliest alert on the root."""
        members = self.hot.members
        if not members:
            return "Incident"
        root = self.root
        memo = self._title_memo
        if (
            memo is not None and memo[0] == len(members) and memo[1] is root
            and memo[2] == len(self.fingerprints) and memo[3] == len(self.titles)
        ):  # fmt: skip
            return memo[4]
        text = self._title(members, root)
        self._title_memo = (len(members), root, len(self.fingerprints), len(self.titles), text)
        return text

    def _title(self, members: list[Signal], root: RootCause | None) -> str:
        on_root = [m for m in members if root and root.service and root.service in m.traits.services] or members
        lead = min(on_root, key=lambda m: (-m.traits.severity, m.at))
        target = (root.service if root else None) or lead.traits.host or "unknown target"
        text = self.titles.get(lead.fingerprint) or f"{lead.traits.alertname} on {target}"
        more = len(self.fingerprints) - 1
        return f"{text} (+{more} related)" if more > 0 else text

    def to_body(self) -> dict[str, Any]:
        """Return the incident in its stored JSON form, equal to ``to_model().model_dump(mode="json")``.

        Built directly, not through the model: the engine's values are valid by construction, and
        validating and dumping a whole incident on every batch dominated ingest time.
        """
        root = self.root
        hot = self.hot
        top = self.severity_rank()
        severity = 2 if top is None else top
        confidence = round(root.confidence, 4) if root and root.confidence is not None else None
        return {
            "id": self.id,
            "title": self.title(),
            "tenant": hot.tenant,
            "status": self.status.value,
            "severity": _SEVERITY_BY_RANK.get(min(severity, 4), Severity.MEDIUM).value,
            "services": sorted(hot.services, key=lambda name: hot.services[name].first),
            "hosts": sorted(hot.hosts, key=lambda name: hot.hosts[name].first),
            "alert_fingerprints": list(self.fingerprints),
            "rootCause": root.evidence if root else None,
            "rootCauseService": root.service if root else None,
            "rootCauseHost": root.host if root else None,
            "confidence": confidence,
            "agents": [AGENT, *self.agents],
            "processingState": self.processing_state,
            "createdAt": iso_text(self.created_at),
            "updatedAt": iso_text(max(self.updated_at, self.acted_at or self.updated_at)),
            "resolvedAt": iso_text(self.resolved_at) if self.resolved_at is not None else None,
            "timeline": list(self.timeline),
            "actions": [],
            "why_trace": list(self.why_trace),
        }

    def to_model(self) -> Incident:
        """Return the validated `Incident` (operator paths; ingest stores `to_body` directly)."""
        return Incident.model_validate(self.to_body())

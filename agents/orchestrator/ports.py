"""What the orchestrator needs from the other agents and the Executor, as protocols (seams for tests).

The composition root passes the real objects (TaskOps' `Proposer`, the guarded `Executor`, AlertOps'
timeline, PatchOps' roll-outs); the orchestrator never imports another agent's internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from data.execution import ActionRequest, ExecutedAction
from data.models import Alert, Incident, Risk


class Proposal(Protocol):
    """A remedy proposed by TaskOps: action, target, its estimate of success and the evidence."""

    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def symptom(self) -> str: ...
    @property
    def evidence(self) -> list[str]: ...
    @property
    def risk(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def params(self) -> dict[str, object]: ...


class Proposer(Protocol):
    def for_incident(self, incident: Incident, alerts: Sequence[Alert]) -> Sequence[Proposal]: ...
    def for_risk(self, risk: Risk) -> Sequence[Proposal]: ...


class ActionPort(Protocol):
    """The guarded Executor: submit, and read a record back."""

    def submit(self, request: ActionRequest) -> ExecutedAction: ...
    def get(self, action_id: str) -> ExecutedAction | None: ...


class Timeline(Protocol):
    """AlertOps' incident timeline: append one agent's step; False when the incident is no longer live."""

    def record_step(
        self, incident_id: str, event: str, *, agent: str, details: Mapping[str, Any], processing_state: str | None
    ) -> bool: ...


class Rollouts(Protocol):
    """PatchOps' roll-outs: pause every open roll-out that includes ``host``; return the plans paused."""

    def pause_on_host(self, host: str, *, reason: str) -> list[str]: ...

"""The seam between a decision and the fleet: `FleetActuator.apply(action) -> ActionResult`.

The Executor calls this protocol and nothing else; the simulator (`data.sim.actuator`) and the real
runbook back-ends (`data.actuators`: Ansible playbooks, signed webhooks) implement it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import Field

from data.models import Action, ActionStatus, Model
from data.timeutil import UtcDatetime


class ActionResult(Model):
    """What an action did, as the operator sees it afterwards."""

    action_id: str
    action_type: str
    target: str
    status: ActionStatus = Field(description="completed or failed")
    transient: bool = Field(default=False, description="a failure that may succeed when retried")
    message: str
    hosts: list[str] = Field(default_factory=list)
    executed_at: UtcDatetime
    observed: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="each target host's signals right after the action (noise-free)"
    )
    log: list[str] = Field(
        default_factory=list, description="what the back-end reported while acting (playbook events, HTTP response)"
    )


class FleetActuator(Protocol):
    def apply(self, action: Action) -> ActionResult:
        """Carry out ``action`` on the fleet and report what was observed afterwards."""


@dataclass(frozen=True)
class TargetInfo:
    """What the fleet knows about an action's target: a host, or a service (all its hosts)."""

    name: str
    tenant: str
    service: str
    role: str
    hosts: tuple[str, ...]
    service_hosts: tuple[str, ...]
    tls: bool = False


class Inventory(Protocol):
    def resolve(self, target: str) -> TargetInfo | None:
        """Return what is known of the host or service named ``target``, or None when there is none."""

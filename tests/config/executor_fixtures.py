"""Test doubles at the Executor's seams: a scripted actuator, a dict inventory, in-memory silences."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from config.action_executor import Executor
from config.guardrails import ActionSpec, Check, Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase, MemoryKnowledgeBase
from data.actuation import ActionResult, TargetInfo
from data.clock import ManualClock
from data.execution import ActionRequest
from data.models import Action, ActionStatus, RiskLevel

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = Field(default=1, ge=1, le=10)


def spec(action: str, risk: RiskLevel, **extra: Any) -> ActionSpec:
    return ActionSpec(action, action, risk, Params, "health comes back", (Check("health", ">=", 1.0),), **extra)


SPECS = {
    s.id: s
    for s in (
        spec("low_fix", RiskLevel.LOW),
        spec("other_fix", RiskLevel.LOW),
        spec("medium_fix", RiskLevel.MEDIUM),
        spec("high_fix", RiskLevel.HIGH),
        spec("cache_only", RiskLevel.LOW, roles=("cache",)),
    )
}


def completed(action: Action, health: float = 1.0, hosts: list[str] | None = None) -> ActionResult:
    known = DictInventory().resolve(action.target)
    hosts = hosts or (list(known.hosts) if known else [action.target])
    return ActionResult(
        action_id=action.action_id,
        action_type=action.action_type,
        target=action.target,
        status=ActionStatus.COMPLETED,
        message="done",
        hosts=hosts,
        executed_at=T0,
        observed={h: {"health": health} for h in hosts},
    )


def transient_failure(action: Action) -> ActionResult:
    return ActionResult(
        action_id=action.action_id,
        action_type=action.action_type,
        target=action.target,
        status=ActionStatus.FAILED,
        transient=True,
        message="timed out; retry may succeed",
        executed_at=T0,
    )


class ScriptedActuator:
    """Answers each call with the next scripted reply (default: completed and healthy); records calls."""

    def __init__(self, *replies: Callable[[Action], ActionResult]) -> None:
        self.replies = list(replies)
        self.calls: list[Action] = []
        self.lock = threading.Lock()

    def apply(self, action: Action) -> ActionResult:
        with self.lock:
            self.calls.append(action)
            reply = self.replies.pop(0) if self.replies else completed
        return reply(action)


class DictInventory:
    """Hosts ``<service>-<n>``: services ``web`` (3 replicas), ``db`` (2), ``cache`` (1) per tenant, plus singles."""

    def __init__(self, tenants: tuple[str, ...] = ("acme", "globex"), singles: int = 0) -> None:
        self.targets: dict[str, TargetInfo] = {}
        for tenant in tenants:
            for service, replicas in (("web", 3), ("db", 2), ("cache", 1)):
                name = f"{tenant}-{service}"
                hosts = tuple(f"{name}-{n}" for n in range(1, replicas + 1))
                self.targets[name] = TargetInfo(name, tenant, name, service, hosts, hosts)
                for host in hosts:
                    self.targets[host] = TargetInfo(host, tenant, name, service, (host,), hosts)
            for n in range(singles):
                name = f"{tenant}-solo{n}"
                self.targets[name] = TargetInfo(name, tenant, name, "app", (name,), (name,))

    def resolve(self, target: str) -> TargetInfo | None:
        return self.targets.get(target)


@dataclass
class MemorySilence:
    id: str
    tenant: str
    matchers: dict[str, str]
    starts: datetime
    ends: datetime


@dataclass
class MemorySilences:
    """The silences protocol (`active_for`) over a list, matching labels by equality."""

    silences: list[MemorySilence] = field(default_factory=list)

    def active_for(self, tenant: str, labels: dict[str, str], at: datetime) -> MemorySilence | None:
        for s in self.silences:
            if (
                s.tenant == tenant
                and s.starts <= at < s.ends
                and all(labels.get(k) == v for k, v in s.matchers.items())
            ):
                return s
        return None


@dataclass
class Rig:
    executor: Executor
    actuator: ScriptedActuator
    kb: KnowledgeBase
    switch: KillSwitch
    clock: ManualClock
    silences: MemorySilences


@contextmanager
def rig(
    *replies: Callable[[Action], ActionResult],
    limits: Limits | None = None,
    kb: KnowledgeBase | None = None,
    inventory: DictInventory | None = None,
    **kwargs: Any,
) -> Iterator[Rig]:
    kb = kb or MemoryKnowledgeBase()
    clock = ManualClock(T0)
    switch = KillSwitch(kb)
    actuator = ScriptedActuator(*replies)
    silences = MemorySilences()
    executor = Executor(
        actuator_for=lambda tenant: actuator,
        kill_switch=switch,
        kb=kb,
        clock=clock,
        catalogue=SPECS,
        inventory=inventory or DictInventory(),
        silences=silences,
        limits=limits or Limits(retry_backoff_s=0.0, timeout_s=5.0),
        **kwargs,
    )
    try:
        yield Rig(executor, actuator, kb, switch, clock, silences)
    finally:
        executor.stop()


def request(action: str = "low_fix", target: str = "acme-web-1", **fields: Any) -> ActionRequest:
    values: dict[str, Any] = {
        "action": action,
        "target": target,
        "tenant": target.split("-")[0],
        "reason": "test",
        "requested_by": "agent:TaskOps",
    }
    values.update(fields)
    return ActionRequest(**values)

"""The Executor's rules: action specifications, limits, and the ledger of recent starts they are judged on.

`ActionSpec` is what a catalogue (TaskOps) says about one action: risk, parameter schema, preconditions,
expected effect, verification checks and rollback. `Limits` holds every configured bound. `Ledger` is the
Executor's memory of recent starts and of what is in flight; each `check_*` function returns a
`GuardDecision` and never changes state, so the Executor can run them all under one lock and then start.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from config.settings import Settings
from data.actuation import TargetInfo
from data.errors import InvalidInput
from data.execution import ActionRequest, GuardDecision
from data.models import RiskLevel

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Check:
    """``signal op threshold`` must hold on every target host after the action (a verification check)."""

    signal: str
    op: Literal["<", "<=", ">", ">="]
    threshold: float

    def holds(self, value: float) -> bool:
        return not math.isnan(value) and _OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.signal} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class ActionSpec:
    """One runbook action. ``roles`` (empty: any) and ``needs_tls`` are preconditions on the target."""

    id: str
    title: str
    risk: RiskLevel
    params: type[BaseModel]
    expected_effect: str
    verify: tuple[Check, ...]
    rollback: str | None = None
    roles: tuple[str, ...] = ()
    needs_tls: bool = False
    disruptive: bool = False

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` checked against the schema; raise InvalidInput naming the bad field."""
        try:
            return self.params.model_validate(dict(params)).model_dump(mode="json", exclude_none=True)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidInput(f"params.{where}" if where else "params", first["msg"]) from None

    def check_target(self, target: TargetInfo) -> None:
        """Raise InvalidInput when ``target`` does not meet this action's preconditions."""
        if self.roles and target.role not in self.roles:
            raise InvalidInput(
                "target", f"{self.id} needs a {' or '.join(self.roles)} target; {target.name} is {target.role}"
            )
        if self.needs_tls and not target.tls:
            raise InvalidInput("target", f"{self.id} needs a host with a TLS certificate; {target.name} has none")

    def judge(self, observed: Mapping[str, Mapping[str, float]], hosts: tuple[str, ...]) -> tuple[bool | None, str]:
        """Return (verified, finding) from each host's observed signals; None when nothing was observed."""
        if not self.verify:
            return None, "no verification check is defined for this action"
        failures: list[str] = []
        for host in hosts:
            signals = observed.get(host)
            if not signals:
                return None, f"no observation of {host} after the action"
            for check in self.verify:
                value = signals.get(check.signal)
                if value is None:
                    return None, f"{check.signal} was not observed on {host}"
                if not check.holds(value):
                    failures.append(f"{host}: {check.signal} = {value:g}, expected {check.op} {check.threshold:g}")
        if failures:
            return False, "; ".join(failures)
        return True, " and ".join(str(c) for c in self.verify) + f" on {', '.join(hosts)}"


@dataclass(frozen=True)
class Limits:
    """Every bound the Executor enforces (documented in `.env.example`)."""

    dry_run: bool = False
    allowlist: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"*": ("*",)})
    cooldown_s: float = 600.0
    rate_global_per_hour: int = 60
    rate_tenant_per_hour: int = 20
    max_concurrent_per_tenant: int = 3
    max_concurrent_per_service: int = 1
    medium_min_confidence: float = 0.8
    approval_ttl_s: float = 3600.0
    timeout_s: float = 120.0
    max_attempts: int = 3
    retry_backoff_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            dry_run=settings.EXEC_DRY_RUN,
            allowlist={tenant: tuple(actions) for tenant, actions in settings.EXEC_ALLOWLIST.items()},
            cooldown_s=settings.EXEC_COOLDOWN_S,
            rate_global_per_hour=settings.EXEC_RATE_GLOBAL_PER_HOUR,
            rate_tenant_per_hour=settings.EXEC_RATE_TENANT_PER_HOUR,
            max_concurrent_per_tenant=settings.EXEC_MAX_CONCURRENT_PER_TENANT,
            max_concurrent_per_service=settings.EXEC_MAX_CONCURRENT_PER_SERVICE,
            medium_min_confidence=settings.EXEC_MEDIUM_MIN_CONFIDENCE,
            approval_ttl_s=settings.APPROVAL_TTL_S,
            timeout_s=settings.EXEC_TIMEOUT_S,
            max_attempts=settings.EXEC_MAX_ATTEMPTS,
            retry_backoff_s=settings.EXEC_RETRY_BACKOFF_S,
        )


@dataclass(frozen=True)
class InFlight:
    tenant: str
    service: str
    hosts: tuple[str, ...]


class Ledger:
    """Recent starts (for cooldowns and rate limits) and actions in flight (for the blast radius).

    Not thread-safe on its own: the Executor holds its lock around every read and change.
    """

    def __init__(self) -> None:
        self.starts: deque[tuple[datetime, str]] = deque()  # (when, tenant), oldest first
        self.last_start: dict[tuple[str, str], datetime] = {}  # (target, action) -> when
        self.in_flight: dict[str, InFlight] = {}

    def record_start(self, action_id: str, request: ActionRequest, target: TargetInfo, at: datetime) -> None:
        self.starts.append((at, request.tenant))
        key = (request.target, request.action)
        self.last_start[key] = max(at, self.last_start.get(key, at))
        self.in_flight[action_id] = InFlight(target.tenant, target.service, target.hosts)

    def finish(self, action_id: str) -> None:
        self.in_flight.pop(action_id, None)

    def prune(self, now: datetime, keep: timedelta) -> None:
        while self.starts and self.starts[0][0] < now - keep:
            self.starts.popleft()


def _decision(rule: str, allowed: bool, reason: str, at: datetime) -> GuardDecision:
    return GuardDecision(rule=rule, allowed=allowed, reason=reason, at=at)


def check_allowlist(limits: Limits, request: ActionRequest, at: datetime) -> GuardDecision:
    allowed = limits.allowlist.get(request.tenant, limits.allowlist.get("*", ()))
    ok = "*" in allowed or request.action in allowed
    source = "its own list" if request.tenant in limits.allowlist else "the default list"
    listed = ", ".join(allowed) or "empty"
    reason = (
        f"{request.action} is allowed for tenant {request.tenant} ({source})"
        if ok
        else f"{request.action} is not on tenant {request.tenant}'s allowlist ({source}: {listed})"
    )
    return _decision("allowlist", ok, reason, at)


def check_cooldown(limits: Limits, ledger: Ledger, request: ActionRequest, at: datetime) -> GuardDecision:
    last = ledger.last_start.get((request.target, request.action))
    if last is not None and (at - last).total_seconds() < limits.cooldown_s:
        wait = limits.cooldown_s - (at - last).total_seconds()
        return _decision(
            "cooldown",
            False,
            f"{request.action} last started on {request.target} {(at - last).total_seconds():.0f} s ago; "
            f"cooldown is {limits.cooldown_s:g} s ({wait:.0f} s left)",
            at,
        )
    return _decision(
        "cooldown", True, f"no {request.action} on {request.target} in the last {limits.cooldown_s:g} s", at
    )


def check_rate(limits: Limits, ledger: Ledger, request: ActionRequest, at: datetime) -> GuardDecision:
    hour_ago = at - timedelta(hours=1)
    recent = [tenant for when, tenant in ledger.starts if when > hour_ago]
    tenant_count = sum(1 for tenant in recent if tenant == request.tenant)
    if len(recent) >= limits.rate_global_per_hour:
        reason = f"{len(recent)} actions started in the last hour; the global limit is {limits.rate_global_per_hour}"
        return _decision("rate_limit", False, reason, at)
    if tenant_count >= limits.rate_tenant_per_hour:
        reason = (
            f"{tenant_count} actions started for tenant {request.tenant} in the last hour; "
            f"the per-tenant limit is {limits.rate_tenant_per_hour}"
        )
        return _decision("rate_limit", False, reason, at)
    reason = (
        f"{len(recent)}/{limits.rate_global_per_hour} global and {tenant_count}/{limits.rate_tenant_per_hour} "
        f"tenant actions in the last hour"
    )
    return _decision("rate_limit", True, reason, at)


def check_blast_radius(limits: Limits, ledger: Ledger, target: TargetInfo, at: datetime) -> GuardDecision:
    flights = list(ledger.in_flight.values())
    tenant_n = sum(1 for f in flights if f.tenant == target.tenant)
    service_n = sum(1 for f in flights if f.service == target.service)
    if tenant_n >= limits.max_concurrent_per_tenant:
        reason = f"{tenant_n} actions in flight for tenant {target.tenant}; at most {limits.max_concurrent_per_tenant}"
        return _decision("blast_radius", False, reason, at)
    if service_n >= limits.max_concurrent_per_service:
        reason = f"{service_n} actions in flight on {target.service}; at most {limits.max_concurrent_per_service}"
        return _decision("blast_radius", False, reason, at)
    touched = {h for f in flights if f.service == target.service for h in f.hosts} | set(target.hosts)
    replicas = set(target.service_hosts)
    if len(replicas) > 1 and replicas <= touched:
        reason = f"would act on every replica of {target.service} ({len(replicas)} hosts) at once"
        return _decision("blast_radius", False, reason, at)
    reason = (
        f"{tenant_n + 1}/{limits.max_concurrent_per_tenant} in flight for the tenant, "
        f"{service_n + 1}/{limits.max_concurrent_per_service} on {target.service}, "
        f"{len(touched & replicas)}/{len(replicas)} replicas touched"
    )
    return _decision("blast_radius", True, reason, at)


def check_risk(limits: Limits, spec: ActionSpec, request: ActionRequest, at: datetime) -> GuardDecision:
    """Allowed: runs without a person; refused: needs a human approval (never a plain block)."""
    if spec.risk is RiskLevel.LOW:
        return _decision("risk_policy", True, "low risk: automatic", at)
    if spec.risk is RiskLevel.MEDIUM:
        if request.requested_by.startswith("user:"):
            return _decision("risk_policy", True, f"medium risk, requested by a person ({request.requested_by})", at)
        confidence = request.confidence
        if confidence is not None and confidence >= limits.medium_min_confidence:
            reason = f"medium risk, confidence {confidence:.2f} >= {limits.medium_min_confidence:.2f}: automatic"
            return _decision("risk_policy", True, reason, at)
        shown = "none" if confidence is None else f"{confidence:.2f}"
        reason = f"medium risk, confidence {shown} < {limits.medium_min_confidence:.2f}: needs human approval"
        return _decision("risk_policy", False, reason, at)
    return _decision("risk_policy", False, "high risk: needs human approval", at)

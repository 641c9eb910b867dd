"""Control endpoints: health and the kill switch (seed paths and field names)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AlertOpsDep, Authorized, KbDep, KillSwitchDep, PrometheusDep, SimulationDep
from config.kill_switch import KillSwitchState
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api", tags=["control"])


class PrometheusHealthOut(BaseModel):
    """The Prometheus pull source: whether its last round succeeded, and when it tries again if not."""

    url: str = Field(description="the configured server, without any user:password part")
    up: bool | None = Field(description="whether the last round of queries succeeded; null before the first")
    last_success: UtcDatetime | None
    last_error: str | None
    consecutive_failures: int
    retry_in_s: float | None = Field(description="back-off before the next attempt after a failure")
    series: int = Field(description="series read from it so far")
    samples: int = Field(description="samples read from it so far")


class HealthOut(BaseModel):
    status: Literal["ok"]
    kb_backend: str
    simulation_running: bool
    kill_switch_active: bool
    quarantined: int = Field(description="stored alert records set aside at start-up because they cannot be loaded")
    prometheus: PrometheusHealthOut | None = Field(
        default=None, description="the Prometheus source; null when none is configured (a down one is not an error)"
    )


class KillSwitchIn(BaseModel):
    active: bool
    reason: str = Field(min_length=1, max_length=500, description="why the switch is changed (audited)")
    actor: str = Field(default="api", min_length=1, max_length=100, description="who changes it (audited)")


class ToggleIn(BaseModel):
    reason: str = Field(default="toggled", min_length=1, max_length=500)
    actor: str = Field(default="api", min_length=1, max_length=100)


class KillSwitchOut(BaseModel):
    active: bool
    message: str
    reason: str | None
    changed_by: str | None
    changed_at: UtcDatetime | None
    changed: bool | None = Field(default=None, description="whether this request changed the state")


def _switch_out(state: KillSwitchState, changed: bool | None = None) -> KillSwitchOut:
    return KillSwitchOut(
        active=state.active,
        message=state.message,
        reason=state.reason,
        changed_by=state.changed_by,
        changed_at=state.changed_at,
        changed=changed,
    )


@router.get("/health", response_model=HealthOut)
def health(
    kb: KbDep, switch: KillSwitchDep, simulation: SimulationDep, engine: AlertOpsDep, prometheus: PrometheusDep
) -> HealthOut:
    source = None
    if prometheus is not None:
        s = prometheus.status()
        source = PrometheusHealthOut(
            url=s.url, up=s.up, last_success=s.last_success, last_error=s.last_error,
            consecutive_failures=s.consecutive_failures, retry_in_s=s.retry_in_s, series=s.series, samples=s.samples,
        )  # fmt: skip
    return HealthOut(
        status="ok",
        kb_backend=type(kb.store).__name__,
        simulation_running=simulation.running,
        kill_switch_active=switch.active,
        quarantined=len(engine.quarantined()),
        prometheus=source,
    )


@router.get("/kill-switch/status", response_model=KillSwitchOut)
def kill_switch_status(switch: KillSwitchDep) -> KillSwitchOut:
    return _switch_out(switch.state())


@router.put("/kill-switch", response_model=KillSwitchOut, dependencies=[Authorized])
def set_kill_switch(body: KillSwitchIn, switch: KillSwitchDep) -> KillSwitchOut:
    state, changed = switch.set(body.active, reason=body.reason, actor=body.actor)
    return _switch_out(state, changed)


@router.post("/kill-switch/toggle", response_model=KillSwitchOut, dependencies=[Authorized])
def toggle_kill_switch(switch: KillSwitchDep, body: ToggleIn | None = None) -> KillSwitchOut:
    request = body or ToggleIn()
    return _switch_out(switch.toggle(reason=request.reason, actor=request.actor), True)

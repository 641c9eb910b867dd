"""Dependencies shared by routers: the objects the lifespan built, the caller's identity and role checks.

Every router takes what it needs from here, so no router imports another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from agents.alert_ops import AlertOps
from agents.base import AgentRegistry
from agents.orchestrator import Orchestrator
from agents.patch_ops import PatchOps
from agents.predictive_ops import PredictiveOps
from agents.task_ops import TaskOps
from api.security import identity_of
from config.action_executor import Executor
from config.approvals import Approval, ApprovalStore
from config.audit import AuditLog
from config.auth import Identity, Role
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase
from config.settings import Settings
from config.silences import SilenceStore
from config.terminal_logger import TerminalLogHandler
from data.prometheus import PrometheusSource
from data.series_sources import SourcedSink
from data.sim.world import World
from live_data_generator import SimulationRunner


def state_dep(name: str) -> Callable[[Request], Awaitable[Any]]:
    """Return a dependency that answers ``app.state.<name>``, the object the lifespan stored under that name.

    Async: a lookup on app.state needs no worker thread."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"get_{name}"
    return dependency


async def get_world(request: Request) -> World:
    """Return the simulated world the simulation runner drives, or answer 503 when there is none."""
    world: World | None = getattr(request.app.state.simulation, "world", None)
    if world is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no simulated fleet is configured")
    return world


ApprovalDecider = Callable[[str, bool, str, str], Approval]
"""What approves or rejects, ``(approval_id, approve, actor, reason) -> Approval``; the lifespan sets it."""


def get_identity(request: Request) -> Identity:
    """Return who the request acts as, from the credential `api.security.SecurityGate` checked."""
    identity = identity_of(request)
    if identity is None:  # only the public paths pass the gate without one, and they do not ask
        challenge = {"WWW-Authenticate": "Bearer"}
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="no credential", headers=challenge)
    return identity


def _require(role: Role) -> Callable[[Request], Awaitable[Identity]]:
    async def check(request: Request) -> Identity:
        # async: it only reads the request's state, so it runs on the event loop rather than a worker thread
        identity = get_identity(request)
        if not identity.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"{identity.name} is a {identity.role.value}: this needs {role.value}"
            )
        return identity

    return check


require_token = _require(Role.OPERATOR)
"""Refuse a request whose identity is not an operator or admin (403); the gate already refused no token (401)."""
require_admin = _require(Role.ADMIN)


SettingsDep = Annotated[Settings, Depends(state_dep("settings"))]
KbDep = Annotated[KnowledgeBase, Depends(state_dep("kb"))]
KillSwitchDep = Annotated[KillSwitch, Depends(state_dep("kill_switch"))]
AuditDep = Annotated[AuditLog, Depends(state_dep("audit"))]
ApprovalsDep = Annotated[ApprovalStore, Depends(state_dep("approvals"))]
ApprovalDeciderDep = Annotated[ApprovalDecider, Depends(state_dep("approval_decider"))]
SilencesDep = Annotated[SilenceStore, Depends(state_dep("silences"))]
LogHandlerDep = Annotated[TerminalLogHandler, Depends(state_dep("log_handler"))]
SimulationDep = Annotated[SimulationRunner, Depends(state_dep("simulation"))]
AlertOpsDep = Annotated[AlertOps, Depends(state_dep("alert_ops"))]
PredictiveDep = Annotated[PredictiveOps, Depends(state_dep("predictive_ops"))]
AgentsDep = Annotated[AgentRegistry, Depends(state_dep("agents"))]
ExecutorDep = Annotated[Executor, Depends(state_dep("executor"))]
TaskOpsDep = Annotated[TaskOps, Depends(state_dep("task_ops"))]
OrchestratorDep = Annotated[Orchestrator, Depends(state_dep("orchestrator"))]
PatchOpsDep = Annotated[PatchOps, Depends(state_dep("patch_ops"))]
WorldDep = Annotated[World, Depends(get_world)]
PrometheusDep = Annotated[PrometheusSource | None, Depends(state_dep("prometheus"))]
ApiMetricsDep = Annotated[SourcedSink, Depends(state_dep("api_metrics"))]
RemoteWriteDep = Annotated[SourcedSink, Depends(state_dep("remote_write_metrics"))]
Authorized = Depends(require_token)
AdminOnly = Depends(require_admin)
IdentityDep = Annotated[Identity, Depends(get_identity)]
OperatorDep = Annotated[Identity, Depends(require_token)]

"""Dependencies shared by routers: the objects the lifespan built, and the bearer-token check.

Every router takes what it needs from here, so no router imports another.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from agents.alert_ops import AlertOps
from agents.base import AgentRegistry
from agents.orchestrator import Orchestrator
from agents.patch_ops import PatchOps
from agents.predictive_ops import PredictiveOps
from agents.task_ops import TaskOps
from config.action_executor import Executor
from config.approvals import Approval, ApprovalStore
from config.audit import AuditLog
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


async def require_token(request: Request) -> None:
    """Refuse a mutating request without the right bearer token (401 missing, 403 wrong), if one is set.

    Async: it only compares a header, so it runs on the event loop rather than costing a worker thread."""
    settings: Settings = request.app.state.settings
    expected = settings.api_token
    if expected is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token: send 'Authorization: Bearer <OPSFORGE_API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="invalid bearer token")


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

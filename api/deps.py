"""Dependencies shared by routers: the objects the lifespan built, and the bearer-token check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from agents.task_ops import TaskOps
from config.action_executor import Executor
from config.kill_switch import KillSwitch
from config.knowledge_base import KnowledgeBase
from config.settings import Settings
from config.terminal_logger import TerminalLogHandler
from live_data_generator import SimulationRunner


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


def get_kill_switch(request: Request) -> KillSwitch:
    switch: KillSwitch = request.app.state.kill_switch
    return switch


def get_executor(request: Request) -> Executor:
    executor: Executor = request.app.state.executor
    return executor


def get_task_ops(request: Request) -> TaskOps:
    task_ops: TaskOps = request.app.state.task_ops
    return task_ops


def get_log_handler(request: Request) -> TerminalLogHandler:
    handler: TerminalLogHandler = request.app.state.log_handler
    return handler


def get_simulation(request: Request) -> SimulationRunner:
    runner: SimulationRunner = request.app.state.simulation
    return runner


async def require_token(request: Request) -> None:
    """Refuse a mutating request without the right bearer token (401 missing, 403 wrong), if one is set.

    Async: it only compares a header, so it runs on the event loop rather than costing a worker thread."""
    expected = get_settings(request).api_token
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


SettingsDep = Annotated[Settings, Depends(get_settings)]
KbDep = Annotated[KnowledgeBase, Depends(get_kb)]
KillSwitchDep = Annotated[KillSwitch, Depends(get_kill_switch)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
TaskOpsDep = Annotated[TaskOps, Depends(get_task_ops)]
LogHandlerDep = Annotated[TerminalLogHandler, Depends(get_log_handler)]
SimulationDep = Annotated[SimulationRunner, Depends(get_simulation)]
Authorized = Depends(require_token)

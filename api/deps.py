"""Dependencies shared by routers: the objects the lifespan built, the caller's identity and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.security import identity_of
from config.auth import Identity, Role
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


def get_log_handler(request: Request) -> TerminalLogHandler:
    handler: TerminalLogHandler = request.app.state.log_handler
    return handler


def get_simulation(request: Request) -> SimulationRunner:
    runner: SimulationRunner = request.app.state.simulation
    return runner


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


SettingsDep = Annotated[Settings, Depends(get_settings)]
KbDep = Annotated[KnowledgeBase, Depends(get_kb)]
KillSwitchDep = Annotated[KillSwitch, Depends(get_kill_switch)]
LogHandlerDep = Annotated[TerminalLogHandler, Depends(get_log_handler)]
SimulationDep = Annotated[SimulationRunner, Depends(get_simulation)]
Authorized = Depends(require_token)
AdminOnly = Depends(require_admin)
IdentityDep = Annotated[Identity, Depends(get_identity)]
OperatorDep = Annotated[Identity, Depends(require_token)]

"""The contract every agent meets, and the registry the composition root fills.

An agent has a display name, a state, and counters of what it has done. The registry is the one
place where the running agents are listed: the composition root registers each agent once, and
readers (the `/api/agents` route, KPIs) list them from here instead of keeping their own list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class AgentState(StrEnum):
    ACTIVE = "active"  # running and allowed to act
    IDLE = "idle"  # running with nothing to do
    PAUSED = "paused"  # stopped from acting (the kill switch holds an autonomous agent)
    FAILING = "failing"  # its last attempt to work failed


@dataclass(frozen=True)
class Activity:
    """What an agent has done: how many actions, and when the last one happened (None: none yet)."""

    actions: int
    last_action: datetime | None


class Agent(Protocol):
    """The contract: a display name, whether it acts on the fleet, its state and its activity."""

    @property
    def name(self) -> str: ...

    @property
    def autonomous(self) -> bool: ...

    def state(self) -> AgentState: ...

    def activity(self) -> Activity: ...


class ActivitySource(Protocol):
    """What an engine reports about itself: (actions so far, time of the last one or None)."""

    def activity(self) -> tuple[int, datetime | None]: ...


class RegisteredAgent:
    """An engine under its display name: active, or paused while ``paused()`` holds and it is autonomous."""

    def __init__(self, name: str, source: ActivitySource, *, autonomous: bool, paused: Callable[[], bool]) -> None:
        self._name = name
        self._source = source
        self._autonomous = autonomous
        self._paused = paused

    @property
    def name(self) -> str:
        return self._name

    @property
    def autonomous(self) -> bool:
        return self._autonomous

    def state(self) -> AgentState:
        """Paused while the kill switch holds an autonomous agent; else what the engine says of itself
        (``health()``, when it has one: failing, idle or active); else active."""
        if self._autonomous and self._paused():
            return AgentState.PAUSED
        health = getattr(self._source, "health", None)
        return health() if callable(health) else AgentState.ACTIVE

    def activity(self) -> Activity:
        actions, last = self._source.activity()
        return Activity(actions, last)


def _never() -> bool:
    return False


class AgentRegistry:
    """The running agents in registration order; ``paused`` (the kill switch) holds the autonomous ones."""

    def __init__(self, paused: Callable[[], bool] = _never) -> None:
        self._paused = paused
        self._agents: list[Agent] = []
        self._lock = threading.Lock()

    def register(self, name: str, source: ActivitySource, *, autonomous: bool = False) -> Agent:
        """Register ``source`` under ``name``; return the registered agent. A name is registered once."""
        agent = RegisteredAgent(name, source, autonomous=autonomous, paused=self._paused)
        with self._lock:
            if any(a.name == name for a in self._agents):
                raise ValueError(f"agent {name!r} is already registered")
            self._agents.append(agent)
        return agent

    def agents(self) -> list[Agent]:
        """Return the registered agents in registration order."""
        with self._lock:
            return list(self._agents)


class RequesterActivity:
    """The activity of an agent that acts only through the Executor: subscribed to the Executor, it counts the
    records requested by ``requester`` that started, since this process started (wall time of the last)."""

    def __init__(self, requester: str, clock: Callable[[], datetime]) -> None:
        self._requester = requester
        self._clock = clock
        self._lock = threading.Lock()
        self._actions = 0
        self._last: datetime | None = None

    def __call__(self, record: Any) -> None:
        if record.request.requested_by != self._requester or record.started_at is None:
            return
        with self._lock:
            self._actions += 1
            self._last = self._clock()

    def activity(self) -> tuple[int, datetime | None]:
        with self._lock:
            return self._actions, self._last

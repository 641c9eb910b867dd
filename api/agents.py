"""Agent status (the seed's `/api/agents`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import KillSwitchDep
from api.incidents import age_text
from data.timeutil import UtcDatetime, utc_now

router = APIRouter(prefix="/api", tags=["agents"])


class Activity(Protocol):
    def activity(self) -> tuple[int, datetime | None]: ...


class AgentOut(BaseModel):
    name: str
    status: str = Field(description="active, or paused while the kill switch stops autonomous actions")
    actions: int = Field(description="what the agent has done: alerts placed into incidents, forecast refreshes")
    lastAction: str
    lastActionTime: UtcDatetime | None
    autonomous: bool = Field(description="whether the agent acts on the fleet (and so obeys the kill switch)")


# (app.state attribute, display name, acts on the fleet)
AGENTS = (("alert_ops", "AlertOps", False), ("predictive_ops", "PredictiveOps", False))


@router.get("/agents", response_model=list[AgentOut])
def list_agents(request: Request, switch: KillSwitchDep) -> list[AgentOut]:
    """The agents this build runs, in the seed's order, with counts of what they have done."""
    now = utc_now()
    rows = []
    for attribute, name, autonomous in AGENTS:
        agent: Activity | None = getattr(request.app.state, attribute, None)
        if agent is None:
            continue
        count, last = agent.activity()
        rows.append(
            AgentOut(
                name=name,
                status="paused" if autonomous and switch.active else "active",
                actions=count,
                lastAction=age_text(last, now) if last else "N/A",
                lastActionTime=last,
                autonomous=autonomous,
            )
        )
    return rows

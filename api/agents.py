"""Agent status (the seed's `/api/agents`): every registered agent with its state and what it has done."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import AgentsDep
from data.timeutil import UtcDatetime, age_text, utc_now

router = APIRouter(prefix="/api", tags=["agents"])


class AgentOut(BaseModel):
    name: str
    status: str = Field(description="the agent's state: active, idle, paused (the kill switch holds it) or failing")
    actions: int = Field(description="what the agent has done: alerts placed into incidents, forecast refreshes")
    lastAction: str
    lastActionTime: UtcDatetime | None
    autonomous: bool = Field(description="whether the agent acts on the fleet (and so obeys the kill switch)")


@router.get("/agents", response_model=list[AgentOut])
def list_agents(registry: AgentsDep) -> list[AgentOut]:
    """The agents this build runs, in the seed's order, with counts of what they have done."""
    now = utc_now()
    rows = []
    for agent in registry.agents():
        activity = agent.activity()
        last = activity.last_action
        rows.append(
            AgentOut(
                name=agent.name,
                status=agent.state().value,
                actions=activity.actions,
                lastAction=age_text(last, now) if last else "N/A",
                lastActionTime=last,
                autonomous=agent.autonomous,
            )
        )
    return rows

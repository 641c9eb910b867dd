"""The learning loop (`GET /api/learning`): the action policy's statistics and the agent selector's threshold."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import OrchestratorDep

router = APIRouter(prefix="/api", tags=["learning"])


class ArmOut(BaseModel):
    signature: str = Field(description="the kind of incident: its root host's distinct alert names, sorted")
    action: str
    successes: int = Field(description="attempts verified by observed state and followed by the incident resolving")
    failures: int = Field(description="attempts that failed verification or did not resolve the incident in time")
    tries: int
    success_rate: float | None
    mean_resolve_s: float | None = Field(description="mean opened -> resolved of its successes, event time")


class ThresholdPoint(BaseModel):
    at: str
    threshold: float
    samples: int


class SelectorOut(BaseModel):
    threshold: float = Field(description="the relevance score an agent needs to be selected, in force now")
    static_threshold: float
    floor: float
    ceiling: float
    adaptive: bool = Field(description="whether the threshold is adapted (learning on and enough samples)")
    learning: bool
    samples: int = Field(description="recorded selections with a known result (newest 500)")
    useful_samples: int
    history: list[ThresholdPoint]


class LearningOut(BaseModel):
    enabled: bool = Field(description="LEARNING_LOOP_ENABLED: off, the proposer's ranking decides as it is")
    statistics: list[ArmOut] = Field(description="per (signature, action), rebuilt from the stored outcomes")
    selector: SelectorOut


@router.get("/learning", response_model=LearningOut)
def get_learning(orchestrator: OrchestratorDep) -> LearningOut:
    """The policy statistics (most tried first), the selector's threshold and its history."""
    return LearningOut.model_validate(orchestrator.learning_report())

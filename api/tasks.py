"""TaskOps' runbook catalogue and its scheduled tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import TaskOpsDep
from data.models import RiskLevel
from data.timeutil import UtcDatetime

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


class CatalogueEntryOut(BaseModel):
    id: str
    title: str
    risk: RiskLevel
    params_schema: dict[str, Any] = Field(description="JSON schema of the action's params")
    roles: list[str] = Field(description="target roles it applies to (empty: any)")
    needs_tls: bool
    disruptive: bool = Field(description="takes capacity away while it runs")
    expected_effect: str
    verification: list[str] = Field(description="checks on the target's signals afterwards; all must hold")
    rollback: str | None


class LastRunOut(BaseModel):
    slot: UtcDatetime
    targets: int
    states: dict[str, int]


class ScheduledTaskOut(BaseModel):
    name: str
    cron: str
    action: str
    description: str
    condition: str | None = Field(description="signal check a host must meet to be acted on")
    next_run: UtcDatetime
    last_run: LastRunOut | None


class ProposalOut(BaseModel):
    action: str
    target: str
    tenant: str
    confidence: float = Field(description="learned success rate of the remedy x its symptom's share of the evidence")
    symptom: str
    evidence: list[str]
    risk: RiskLevel


@router.get("/proposals", response_model=list[ProposalOut])
def proposals(
    task_ops: TaskOpsDep,
    incident_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    risk_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> list[ProposalOut]:
    """Candidate actions for one incident (its root-cause host's firing alerts) or one predicted risk."""
    return [
        ProposalOut(
            action=p.action, target=p.target, tenant=p.tenant, confidence=p.confidence, symptom=p.symptom,
            evidence=p.evidence, risk=RiskLevel(p.risk),
        )
        for p in task_ops.propose(incident_id=incident_id, risk_id=risk_id)
    ]  # fmt: skip


@router.get("/catalogue", response_model=list[CatalogueEntryOut])
def catalogue(task_ops: TaskOpsDep) -> list[CatalogueEntryOut]:
    return [
        CatalogueEntryOut(
            id=spec.id,
            title=spec.title,
            risk=spec.risk,
            params_schema=spec.params.model_json_schema(),
            roles=list(spec.roles),
            needs_tls=spec.needs_tls,
            disruptive=spec.disruptive,
            expected_effect=spec.expected_effect,
            verification=[str(check) for check in spec.verify],
            rollback=spec.rollback,
        )
        for spec in task_ops.catalogue.values()
    ]


@router.get("/scheduled", response_model=list[ScheduledTaskOut])
def scheduled(task_ops: TaskOpsDep) -> list[ScheduledTaskOut]:
    scheduler = task_ops.scheduler
    out = []
    for task in scheduler.tasks:
        last = scheduler.last_run.get(task.name)
        out.append(
            ScheduledTaskOut(
                name=task.name,
                cron=task.cron,
                action=task.action,
                description=task.description,
                condition=str(task.when) if task.when else None,
                next_run=scheduler.next_run[task.name],
                last_run=LastRunOut(slot=last.slot, targets=last.targets, states=last.states) if last else None,
            )
        )
    return out

"""Incidents: listing with filters and cursor pagination, detail, acknowledge and resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import AlertOpsDep, KbDep, OperatorDep, OrchestratorDep
from data.errors import NotFound
from data.labels import DEFAULT_TENANT
from data.models import Alert, Incident, IncidentStatus, Severity, TenantName, TimelineEntry
from data.text import OneLine
from data.timeutil import UtcDatetime, age_text, utc_now

router = APIRouter(prefix="/api", tags=["incidents"])

Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[
    str | None,
    Query(max_length=512, pattern=r"^[A-Za-z0-9_-]+$", description="X-Next-Cursor of the previous page (opaque)"),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no incident has this id"}}
CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "the incident is resolved, or no longer active in the engine"},
}


class IncidentSummary(BaseModel):
    id: str
    title: str
    status: IncidentStatus
    severity: Severity
    alerts: int = Field(description="number of distinct alerts (fingerprints) in the incident")
    time: str = Field(description="age, e.g. '5 min ago'")
    createdAt: UtcDatetime
    updatedAt: UtcDatetime
    resolvedAt: UtcDatetime | None
    rootCause: str | None
    rootCauseService: str | None
    rootCauseHost: str | None
    confidence: float | None
    agents: list[str]
    processingState: str
    tenant: str | None
    services: list[str]


class WhyTrace(BaseModel):
    analysis: str | None
    affected_components: list[str]
    correlation_score: float | None = Field(description="mean link score of the alerts that joined")
    confidence: float | None
    recommended_actions: list[str]
    decisions: list[dict[str, Any]] = Field(description="the computed evidence of every grouping decision")


class AuditLogOut(BaseModel):
    id: str
    agent: str
    action: str
    status: str
    time: UtcDatetime
    description: str


class IncidentDetail(IncidentSummary):
    created_at: UtcDatetime
    resolved_at: UtcDatetime | None
    processing_state: str
    agents_involved: list[str]
    hosts: list[str]
    root_cause_summary: str | None
    rootCauseSummary: str | None
    timeline: list[TimelineEntry]
    correlated_alerts: list[Alert]
    why_trace: WhyTrace
    audit_logs: list[AuditLogOut]
    details: dict[str, Any]
    orchestration: OrchestrationOut | None = Field(
        default=None, description="the Orchestrator's selection, proposals, decision and narrative; null if none"
    )


class SelectionOut(BaseModel):
    scores: dict[str, float] = Field(description="each agent's relevance (0-100) from the incident's features")
    reasons: dict[str, str]
    threshold: float
    adaptive: bool
    selected: list[str]


class NarrativeOut(BaseModel):
    summary: str
    root_cause: str
    source: str = Field(description="which narrator wrote it: template or bedrock:<model id>")
    fallback_reason: str | None = None


class SimilarOut(BaseModel):
    incident_id: str
    action: str | None = Field(description="the action that resolved it (null: it resolved with no action)")
    verified: bool | None
    time_to_resolve_s: float | None
    at: str


class OrchestrationOut(BaseModel):
    """What the Orchestrator did for the incident and why; every figure is computed, none by a model."""

    signature: str
    selection: SelectionOut
    proposals: list[dict[str, Any]] = Field(description="TaskOps' remedies: action, target, expected benefit, ...")
    decision: dict[str, Any] | None = Field(description="the policy's pick, each candidate's draw, learned or not")
    attempts: list[dict[str, Any]]
    paused_rollouts: list[str]
    outcome: dict[str, Any] | None
    closed: bool
    narrative: NarrativeOut | None
    similar: list[SimilarOut] = Field(description="past incidents of the same signature and what resolved them")


class StatusChangeIn(BaseModel):
    reason: OneLine = Field(min_length=1, max_length=500, description="why (audited; one line)")
    actor: OneLine | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="who the client says acts: kept as a note; the audited actor is the token's identity",
    )


def summary(incident: Incident, now: datetime) -> IncidentSummary:
    return IncidentSummary(
        id=incident.id, title=incident.title, status=incident.status, severity=incident.severity,
        alerts=len(incident.alert_fingerprints), time=age_text(incident.createdAt, now), createdAt=incident.createdAt,
        updatedAt=incident.updatedAt, resolvedAt=incident.resolvedAt, rootCause=incident.rootCause,
        rootCauseService=incident.rootCauseService, rootCauseHost=incident.rootCauseHost,
        confidence=incident.confidence, agents=incident.agents, processingState=incident.processingState,
        tenant=incident.tenant, services=incident.services,
    )  # fmt: skip


@router.get("/incidents", response_model=list[IncidentSummary])
def list_incidents(
    kb: KbDep,
    response: Response,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    tenant: Annotated[TenantName | None, Query()] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="only incidents created since (ISO-8601 with a zone)")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> list[IncidentSummary]:
    """Newest first; the next page's cursor is in the ``X-Next-Cursor`` header (absent on the last page)."""
    page = kb.list_incidents(limit=limit, cursor=cursor, status=status, severity=severity, tenant=tenant, since=since)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    now = utc_now()
    return [summary(incident, now) for incident in page.items]


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, responses=NOT_FOUND)
def get_incident(incident_id: str, kb: KbDep, orchestrator: OrchestratorDep) -> IncidentDetail:
    incident = kb.get_incident(incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    tenant = incident.tenant or DEFAULT_TENANT
    alerts = [a for fp in incident.alert_fingerprints[:500] if (a := kb.get_alert(fp, tenant)) is not None]
    audit = kb.list_audit(incident_id=incident_id, limit=200).items
    joins = [float(d["score"]) for d in incident.why_trace if d.get("decision") == "joined" and "score" in d]
    base = summary(incident, utc_now())
    explained = orchestrator.explain(incident_id)
    return IncidentDetail(
        **base.model_dump(),
        created_at=incident.createdAt,
        resolved_at=incident.resolvedAt,
        processing_state=incident.processingState,
        agents_involved=incident.agents,
        hosts=incident.hosts,
        root_cause_summary=incident.rootCause,
        rootCauseSummary=incident.rootCause,
        timeline=incident.timeline,
        correlated_alerts=alerts,
        why_trace=WhyTrace(
            analysis=incident.rootCause,
            affected_components=incident.services or incident.hosts,
            correlation_score=round(sum(joins) / len(joins), 4) if joins else None,
            confidence=incident.confidence,
            recommended_actions=[],
            decisions=incident.why_trace,
        ),
        audit_logs=[
            AuditLogOut(id=a.id, agent=a.actor, action=a.action, status="completed", time=a.time, description=a.reason)
            for a in audit
        ],
        details={"alert_fingerprints": incident.alert_fingerprints, "tenant": incident.tenant},
        orchestration=OrchestrationOut.model_validate(explained) if explained is not None else None,
    )


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentSummary, responses=CHANGE_RESPONSES)
def acknowledge(incident_id: str, body: StatusChangeIn, engine: AlertOpsDep, who: OperatorDep) -> IncidentSummary:
    changed = engine.acknowledge(incident_id, reason=body.reason, actor=who.name, client_actor=body.actor)
    return summary(changed, utc_now())


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentSummary, responses=CHANGE_RESPONSES)
def resolve(incident_id: str, body: StatusChangeIn, engine: AlertOpsDep, who: OperatorDep) -> IncidentSummary:
    changed = engine.resolve(incident_id, reason=body.reason, actor=who.name, client_actor=body.actor)
    return summary(changed, utc_now())

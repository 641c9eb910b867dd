"""Pydantic v2 domain models shared by the engine, the store and the HTTP layer.

Every state is an enum, every timestamp an aware UTC datetime that serialises with ``Z``. Field
names follow the public JSON contract of the earlier prototype where one exists (``startsAt``,
``rootCause``, ...), so the HTTP layer can return these models without renaming.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from data.timeutil import UtcDatetime, utc_now

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
LabelSet = dict[str, str]

TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
TenantName = Annotated[str, StringConstraints(pattern=TENANT_PATTERN)]
"""A tenant's name: a letter or digit, then up to 62 letters, digits, ``_``, ``.`` or ``-`` (no ``/``, no spaces),
so it is safe in a URL path, a storage key and a log line."""

# Event times outside these bounds are refused: no sender means them, and the engine adds hours and days to
# them (time-outs, windows), which must never overflow. The receiver's own, tighter bound on how far ahead of its
# clock an alert may be is the HTTP layer's (`ALERT_MAX_CLOCK_SKEW_S`).
EARLIEST_EVENT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_EVENT = datetime(9000, 1, 1, tzinfo=UTC)


def _event_time(value: datetime) -> datetime:
    if value <= EARLIEST_EVENT:
        raise ValueError("must be after 1970-01-01T00:00:00Z (0 or the Unix epoch is not an event time)")
    if value >= LATEST_EVENT:
        raise ValueError("must be before 9000-01-01T00:00:00Z")
    return value


EventTime = Annotated[UtcDatetime, AfterValidator(_event_time)]
"""An aware UTC datetime an event can have happened at: after the Unix epoch, before the year 9000."""

_TENANT_RE = re.compile(TENANT_PATTERN)


def is_zero_time(value: object) -> bool:
    """Return True for the "no time" values senders use: Alertmanager's (Go's) zero time 0001-01-01T00:00:00Z,
    and the number or text 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str):
        return value.strip() in ("0", "0.0") or value.startswith("0001-01-01T00:00:00")
    return isinstance(value, datetime) and value.year == 1 and value.replace(tzinfo=None) == datetime(1, 1, 1)


class Model(BaseModel):
    """Base for domain models: unknown fields are refused so typos surface as 422s."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"


class ActionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    BLOCKED = "blocked"
    ROLLED_BACK = "rolled_back"


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class PatchStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class RiskState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class LogType(StrEnum):
    """Log entry types shown in the dashboard's log panel (the seed's names, upper case)."""

    INFO = "INFO"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    START = "START"
    STOP = "STOP"
    KILLSWITCH = "KILLSWITCH"
    GENERATOR = "GENERATOR"
    INCIDENT = "INCIDENT"
    ALERTOPS = "ALERTOPS"
    PREDICTIVEOPS = "PREDICTIVEOPS"
    PATCHOPS = "PATCHOPS"
    TASKOPS = "TASKOPS"
    ORCHESTRATOR = "ORCHESTRATOR"
    METRICS = "METRICS"


# --------------------------------------------------------------------------------------- inputs


class AlertIn(Model):
    """One alert as a source sends it (Alertmanager webhook alert or the generic batch API)."""

    model_config = ConfigDict(extra="ignore")

    labels: LabelSet = Field(min_length=1)
    annotations: LabelSet = Field(default_factory=dict)
    status: AlertState = AlertState.FIRING
    startsAt: EventTime
    endsAt: EventTime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = Field(default=None, max_length=128)
    source: str | None = Field(default=None, max_length=64)

    @field_validator("labels")
    @classmethod
    def _tenant_label_is_a_tenant_name(cls, labels: LabelSet) -> LabelSet:
        tenant = labels.get("tenant")
        if tenant is not None and tenant != "" and not _TENANT_RE.fullmatch(tenant):
            raise ValueError(f"the tenant label must match {TENANT_PATTERN}")
        return labels

    @field_validator("endsAt", mode="before")
    @classmethod
    def _zero_time_is_absent(cls, value: object) -> object:
        # Alertmanager's convention: the zero time means "no end yet". 0 is read the same way, not as 1970.
        return None if is_zero_time(value) else value

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> AlertIn:
        if self.endsAt is not None and self.endsAt < self.startsAt:
            raise ValueError("endsAt must not be before startsAt")
        return self


class MetricSampleIn(Model):
    """One metric sample: the series is named by its label set (``host``/``instance`` + ``metric``/``__name__``)."""

    labels: LabelSet = Field(min_length=1)
    timestamp: UtcDatetime
    value: float = Field(allow_inf_nan=False)


class ServiceIn(Model):
    """A service of a tenant's topology and the hosts that run it."""

    name: str = Field(min_length=1, max_length=200)
    hosts: list[str] = Field(default_factory=list)
    site: str | None = None


class TopologyIn(Model):
    """One tenant's service graph; ``[a, b]`` in ``dependencies`` means a calls b."""

    tenant: TenantName
    services: list[ServiceIn]
    dependencies: list[tuple[str, str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dependencies_name_services(self) -> TopologyIn:
        names = {service.name for service in self.services}
        for caller, callee in self.dependencies:
            unknown = [name for name in (caller, callee) if name not in names]
            if unknown:
                raise ValueError(f"dependencies: {unknown[0]!r} is not one of the listed services")
        return self


# --------------------------------------------------------------------------------------- records


class MetricSample(Model):
    """A stored metric sample."""

    series: str
    labels: LabelSet
    timestamp: UtcDatetime
    value: float


class Alert(Model):
    """A deduplicated alert: one record per fingerprint, with repeat count and last-seen time."""

    fingerprint: str
    incident_id: str | None = None
    labels: LabelSet
    annotations: LabelSet = Field(default_factory=dict)
    status: AlertState = AlertState.FIRING
    startsAt: UtcDatetime
    endsAt: UtcDatetime | None = None
    lastSeen: UtcDatetime
    count: int = Field(default=1, ge=1)
    source: str | None = None


class TimelineEntry(Model):
    """One dated event in an incident's life (alert joined, merged, acknowledged, action ran, ...)."""

    time: UtcDatetime
    event: str
    agent: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Action(Model):
    """An action taken (or refused) on the fleet, with its target and outcome."""

    action_id: str
    action_type: str
    agent: str
    target: str
    params: dict[str, Any] = Field(default_factory=dict)
    risk_level: RiskLevel = RiskLevel.LOW
    status: ActionStatus = ActionStatus.PENDING
    incident_id: str | None = None
    description: str = ""
    created_at: UtcDatetime = Field(default_factory=utc_now)
    finished_at: UtcDatetime | None = None


class Incident(Model):
    """A group of correlated alerts with its root cause, lifecycle state, timeline and actions."""

    id: str
    title: str
    tenant: str | None = None
    status: IncidentStatus = IncidentStatus.OPEN
    severity: Severity = Severity.MEDIUM
    services: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    alert_fingerprints: list[str] = Field(default_factory=list)
    rootCause: str | None = None
    rootCauseService: str | None = None
    rootCauseHost: str | None = None
    confidence: Probability | None = None
    agents: list[str] = Field(default_factory=list)
    processingState: str = "created"
    createdAt: UtcDatetime
    updatedAt: UtcDatetime
    resolvedAt: UtcDatetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    why_trace: list[dict[str, Any]] = Field(default_factory=list)


class RolloutState(StrEnum):
    """Where a patch roll-out is; `PatchPlan.status` is the seed's coarser view of it."""

    DRAFT = "draft"
    APPROVED = "approved"
    PREFLIGHT = "preflight"
    CANARY = "canary"
    BAKING = "baking"
    WAVE = "wave"
    COMPLETED = "completed"
    PAUSED = "paused"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


class HostPatchStatus(StrEnum):
    PENDING = "pending"
    INSTALLING = "installing"
    INSTALLED = "installed"
    FAILED = "failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class CanaryPhase(Model):
    """One step of a roll-out: the canary (wave 0) or a later wave, with its bake time."""

    name: str
    hosts: list[str] = Field(default_factory=list)
    status: PatchStatus = PatchStatus.PENDING
    progress: int = Field(default=0, ge=0, le=100)
    wave: int = Field(default=0, ge=0)
    bake_seconds: float = Field(default=0.0, ge=0)
    started_at: UtcDatetime | None = None
    bake_until: UtcDatetime | None = None
    extended: bool = False


class PatchHost(Model):
    """One host of a roll-out: its wave, its status, and how to undo it (``rollback_to``)."""

    host: str
    tenant: str
    wave: int = Field(ge=0)
    status: HostPatchStatus = HostPatchStatus.PENDING
    site: str = ""
    role: str = ""
    service: str = ""
    os: str = ""
    criticality: str = ""
    rollback_to: str | None = Field(default=None, description="the version installed before the patch")
    attempt: int = Field(default=0, ge=0, description="install/rollback submissions that never reached the fleet")
    deferrals: int = Field(default=0, ge=0, description="times its install waited for the host to pass pre-flight")
    action_id: str | None = None
    rollback_action_id: str | None = None
    installed_at: UtcDatetime | None = None
    note: str = ""
    preflight: dict[str, bool] = Field(default_factory=dict)


class MetricComparison(Model):
    """One metric of one patched host against its unpatched peers and its own pre-patch baseline."""

    host: str
    metric: str
    n_patched: int
    n_peers: int
    n_baseline: int
    patched_median: float | None
    peers_median: float | None
    baseline_median: float | None
    p_peers: float | None = Field(description="one-sided Mann-Whitney U p-value, patched > peers")
    p_baseline: float | None = Field(description="one-sided Mann-Whitney U p-value, patched > own baseline")
    verdict: Verdict


class HealthCheck(Model):
    """The canary judge's result after one phase's bake, with the figures it was decided on."""

    wave: int
    at: UtcDatetime
    window_start: UtcDatetime
    window_end: UtcDatetime
    verdict: Verdict
    reason: str
    hosts: list[str]
    comparisons: list[MetricComparison] = Field(default_factory=list)
    anomaly_flags_patched: int | None = None
    anomaly_flags_peers: int | None = None
    chart: list[dict[str, float | None]] = Field(
        default_factory=list, description="per sample time: median error rate of patched hosts and of peers"
    )


class PatchPlan(Model):
    """A patch roll-out: canary, phased waves, health checks and rollback state."""

    id: str
    name: str
    package: str
    fixed_version: str
    systems: int = Field(ge=0)
    status: PatchStatus = PatchStatus.PENDING
    progress: int = Field(default=0, ge=0, le=100)
    risk_score: Probability
    created_at: UtcDatetime
    incident_id: str | None = None
    canary_phases: list[CanaryPhase] = Field(default_factory=list)
    affected_hosts: list[PatchHost] = Field(default_factory=list)
    health_checks: list[HealthCheck] = Field(default_factory=list)
    rollback_plan: str = ""
    advisory_id: str | None = None
    canary_size: int = Field(default=0, ge=0)
    state: RolloutState = RolloutState.DRAFT
    wave_index: int = Field(default=0, ge=0, description="the phase in progress (0 = canary)")
    paused_from: RolloutState | None = None
    pause_kind: str | None = Field(default=None, description="kill_switch | operator | window | approval | blocked")
    pause_reason: str | None = None
    hold_until: UtcDatetime | None = Field(default=None, description="a guardrail asked to wait until then")
    severity: Severity = Severity.MEDIUM
    cvss: float | None = None
    priority: Probability = 0.0
    tenants: list[str] = Field(default_factory=list)
    approved_by: str | None = None
    updated_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    notes: list[str] = Field(default_factory=list)


class Forecast(Model):
    """A forecast for one series: point path, interval, model and fitted parameters."""

    series: str
    host: str | None = None
    metric: str
    generated_at: UtcDatetime
    step_seconds: float = Field(gt=0)
    model: str
    points: list[float]
    lower: list[float]
    upper: list[float]
    params: dict[str, float] = Field(default_factory=dict)


class Risk(Model):
    """A predicted threshold crossing of a series still under its threshold: what, where, when, how likely,
    and what to do. ``eta`` is where this series' median forecast crosses; ``eta_earliest``/``eta_latest``
    where its 95 % interval does (null: not within what the forecast reaches); ``probability`` is that the
    threshold is reached by ``probability_by``."""

    id: str
    host: str
    metric: str
    threshold: float
    eta: UtcDatetime
    probability: Probability
    recommended_action: str
    state: RiskState = RiskState.OPEN
    created_at: UtcDatetime
    resolved_at: UtcDatetime | None = None
    eta_earliest: UtcDatetime | None = None
    eta_latest: UtcDatetime | None = None
    probability_by: UtcDatetime | None = None
    method: str | None = Field(default=None, description="ets, or linear_since_reset for filling resources")
    last_value: float | None = None
    source: str | None = Field(default=None, description="where the series comes from (simulator, prometheus, ...)")


class Breach(Model):
    """A metric already over its threshold: an observation, not a forecast. ``since`` is the first sample of
    the unbroken run over the threshold; ``since_known`` is False when that run starts at the oldest sample
    kept (it may be older)."""

    id: str
    host: str
    metric: str
    threshold: float
    value: float
    since: UtcDatetime
    since_known: bool
    recommended_action: str
    source: str | None = None


class OutcomeRecord(Model):
    """The recorded result of handling an incident: which agents and actions, and how it went."""

    incident_id: str
    status: str
    agents_used: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    success: bool | None = None
    residual_risk: Probability | None = None
    timestamp: UtcDatetime = Field(default_factory=utc_now)
    signature: str | None = Field(default=None, description="what kind of incident: its root's alert names")
    verified: bool | None = Field(default=None, description="success judged from observed state, not the actuator")
    time_to_resolve_s: float | None = Field(default=None, ge=0, description="opened to resolved, in event time")
    rolled_back: bool = False


class AuditEntry(Model):
    """Who changed what, when and why: kill switch, acknowledgements, approvals, silences, Executor decisions.

    ``seq``, ``prev_hash``, ``hash`` and ``recorded_at`` are set by the knowledge base when the entry is
    appended to the hash chain (see `config.audit_chain`); callers leave them empty.
    """

    id: str
    time: UtcDatetime
    actor: str = Field(description='who: "agent:<Name>" for an agent, "user:<identity>" (or a bare name) for a person')
    action: str
    target: str
    reason: str = ""
    incident_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    decision: str | None = Field(default=None, description="allowed, blocked, approved, rejected, expired, ...")
    result: str | None = Field(default=None, description="what came of it: completed, failed, ...")
    seq: int | None = Field(default=None, ge=1, description="position in the audit chain, from 1")
    prev_hash: str | None = Field(default=None, description="SHA-256 of the previous entry (64 zeros for the first)")
    hash: str | None = Field(default=None, description="SHA-256 of this entry's canonical form, prev_hash included")
    recorded_at: UtcDatetime | None = Field(default=None, description="wall-clock time the entry was appended")

    @property
    def actor_kind(self) -> str:
        """Return "agent" for an ``agent:`` actor, else "user" (people and API clients)."""
        return "agent" if self.actor.startswith("agent:") else "user"


class LogEntry(Model):
    """One line of the dashboard's log panel."""

    seq: int = Field(ge=0)
    timestamp: UtcDatetime
    type: str
    agent: str | None = None
    message: str

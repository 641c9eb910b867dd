// Response shapes of the OpsForge API (checked against /openapi.json by src/api/openapi.test.ts).

export type IncidentStatus = "open" | "acknowledged" | "mitigating" | "resolved";
export type Severity = "critical" | "high" | "medium" | "low" | "info";

export interface Metrics {
  alertsReduced: number | null;
  mttrReduction: number | null;
  tasksAutomated: number | null;
  activeIncidents: number | null;
  patchesPending: number | null;
  upcomingRisks: number | null;
}

export interface Agent {
  name: string;
  status: string;
  actions: number;
  lastAction: string;
  lastActionTime: string | null;
  autonomous: boolean;
}

export interface IncidentSummary {
  id: string;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  alerts: number;
  time: string;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  rootCause: string | null;
  rootCauseService: string | null;
  rootCauseHost: string | null;
  confidence: number | null;
  agents: string[];
  processingState: string;
  tenant: string | null;
  services: string[];
}

export interface TimelineEntry {
  time: string;
  event: string;
  agent: string | null;
  details: Record<string, unknown>;
}

export interface Alert {
  fingerprint: string;
  incident_id: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: "firing" | "resolved";
  startsAt: string;
  endsAt: string | null;
  lastSeen: string;
  count: number;
}

/** One page of `GET /api/alerts`, newest `startsAt` first. */
export interface AlertPage {
  items: Alert[];
  next_cursor: string | null;
}

export type AlertStatus = Alert["status"];

export interface IncidentDetail extends IncidentSummary {
  hosts: string[];
  timeline: TimelineEntry[];
  correlated_alerts: Alert[];
  why_trace: {
    analysis: string | null;
    affected_components: string[];
    correlation_score: number | null;
    confidence: number | null;
    recommended_actions: string[];
    decisions: Record<string, unknown>[];
  };
  audit_logs: { id: string; agent: string; action: string; status: string; time: string; description: string }[];
}

export interface KillSwitch {
  active: boolean;
  message: string;
  reason: string | null;
  changed_by: string | null;
  changed_at: string | null;
}

export interface SimulationStatus {
  running: boolean;
  sim_time: string;
  speed: number;
  seed: number;
  ticks: number;
  active_faults: number | null;
  alerts_emitted: number | null;
}

export interface LogEntry {
  seq: number;
  timestamp: string;
  type: string;
  agent: string | null;
  message: string;
}

export interface IncidentFilters {
  status?: string;
  severity?: string;
  tenant?: string;
}

export interface AlertFilters {
  status?: AlertStatus;
  incident_id?: string;
  fingerprint?: string;
}

export interface RiskRow {
  id: string;
  title: string;
  severity: string;
  host: string;
  metric: string;
  threshold: number;
  eta: string;
  probability: number;
  recommended_action: string;
  eta_earliest?: string | null;
  eta_latest?: string | null;
  probability_by?: string | null;
  method?: string | null;
  last_value?: number | null;
  source?: string | null;
}

/** A series over its threshold now (an observation, not a forecast). */
export interface BreachRow {
  id: string;
  title: string;
  host: string;
  metric: string;
  threshold: number;
  value: number;
  since: string;
  since_known: boolean;
  recommended_action: string;
  source: string | null;
}

/** Anomaly flags scored against the simulator's fault truth over a window of event time. */
export interface DetectionQuality {
  window_start: string;
  window_end: string;
  tolerance_seconds: number;
  events: number;
  detected: number;
  missed: number;
  pending: number;
  flags: number;
  true_flags: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** Risk predictions that came due, against what their series did. */
export interface RiskCalibration {
  window_start: string;
  window_end: string;
  predictions: number;
  hits: number;
  brier_score: number;
  hit_rate: number;
  pending: number;
}

export interface ForecastOverview {
  anomaly_detection_accuracy: number | null;
  risk_prediction_confidence: number | null;
  anomaly_detection: DetectionQuality | null;
  risk_calibration: RiskCalibration | null;
  upcoming_risks: RiskRow[];
  breaches?: BreachRow[];
  ets_forecasts: {
    generated_at: string | null;
    horizon: number;
    series: { host: string; metric: string; model: string; last_value: number; trend: number; source?: string | null }[];
  };
}

export interface SeriesPoint {
  timestamp: string;
  value: number;
  lower: number | null;
  upper: number | null;
}

export interface SeriesDetail {
  host: string;
  metric: string;
  history: SeriesPoint[];
  forecast: { model: string | null; step_seconds: number | null; points: SeriesPoint[] };
  anomalies: { timestamp: string; value: number; score: number }[];
  source?: string | null;
  threshold?: number | null;
  risk?: RiskRow | null;
  breach?: BreachRow | null;
}

export type RolloutState =
  | "draft" | "approved" | "preflight" | "canary" | "baking" | "wave" | "completed" | "paused"
  | "rolling_back" | "rolled_back" | "failed";
export type HostPatchStatus = "pending" | "installing" | "installed" | "failed" | "rolling_back" | "rolled_back" | "skipped";

export interface CanaryPhase {
  name: string;
  hosts: string[];
  status: string;
  progress: number;
  wave: number;
  bake_seconds: number;
  started_at: string | null;
  bake_until: string | null;
  extended: boolean;
}

export interface PatchSummary {
  id: string;
  name: string;
  systems: number;
  progress: number;
  status: string;
  created_at: string;
  risk_score: number;
  incident_id: string | null;
  advisory_id: string | null;
  canary_size: number;
  state: RolloutState;
  package: string;
  fixed_version: string;
  severity: Severity;
  cvss: number | null;
  priority: number;
  wave_index: number;
  pause_reason: string | null;
  canary_phases: CanaryPhase[];
  updated_at: string | null;
}

export interface PatchHost {
  host: string;
  tenant: string;
  wave: number;
  status: HostPatchStatus;
  role: string;
  service: string;
  rollback_to: string | null;
  note: string;
  preflight: Record<string, boolean>;
}

export interface MetricComparison {
  host: string;
  metric: string;
  n_patched: number;
  n_peers: number;
  n_baseline: number;
  patched_median: number | null;
  peers_median: number | null;
  baseline_median: number | null;
  p_peers: number | null;
  p_baseline: number | null;
  verdict: "pass" | "fail" | "inconclusive";
}

export interface HealthCheck {
  wave: number;
  at: string;
  window_start: string;
  window_end: string;
  verdict: "pass" | "fail" | "inconclusive";
  reason: string;
  hosts: string[];
  comparisons: MetricComparison[];
  anomaly_flags_patched: number | null;
  anomaly_flags_peers: number | null;
  chart: { t: number; patched: number | null; peers: number | null }[];
}

export interface PatchPlan {
  id: string;
  name: string;
  state: RolloutState;
  status: string;
  progress: number;
  systems: number;
  advisory_id: string | null;
  canary_size: number;
  wave_index: number;
  pause_kind: string | null;
  pause_reason: string | null;
  approved_by: string | null;
  rollback_plan: string;
  canary_phases: CanaryPhase[];
  affected_hosts: PatchHost[];
  health_checks: HealthCheck[];
  notes: string[];
}

export interface Advisory {
  id: string;
  package: string;
  fixed_version: string;
  severity: Severity;
  cvss: number;
  affected_os: string[];
  published_at: string;
  summary: string;
}

export type ExecutionState =
  | "blocked" | "awaiting_approval" | "rejected" | "expired" | "dry_run" | "running" | "succeeded" | "failed" | "unknown"
  | "cancelled";

export interface GuardDecision {
  rule: string;
  allowed: boolean;
  reason: string;
  at: string;
}

export interface ExecutedAction {
  id: string;
  request: {
    action: string; target: string; tenant: string; params: Record<string, unknown>; reason: string; requested_by: string;
    idempotency_key: string | null; confidence: number | null; incident_id: string | null; correlation_id: string | null;
    dry_run: boolean;
  };
  state: ExecutionState;
  decisions: GuardDecision[];
  blocked_by: string | null;
  result: { status: string; message: string; transient: boolean; executed_at: string } | null;
  verified: boolean | null;
  verification: string | null;
  attempts: number;
  risk: "LOW" | "MEDIUM" | "HIGH" | null;
  approved_by: string | null;
  expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ActionPage {
  items: ExecutedAction[];
  next_cursor: string | null;
}

export interface AuditLogRow {
  id: string;
  agent: string;
  action: string;
  target: string;
  status: string;
  time: string;
  reason: string;
  incident_id: string | null;
  actor_kind: string;
  decision: string | null;
  result: string | null;
  details: Record<string, unknown>;
  seq: number | null;
  prev_hash: string | null;
  hash: string | null;
  recorded_at: string | null;
}

export interface AuditFilters {
  incident_id?: string;
  action?: string;
  actor?: string;
  since?: string;
}

export interface ChainStatus {
  ok: boolean;
  entries: number;
  firstBroken: string | null;
  unchained: number;
}

export type ApprovalState = "pending" | "approved" | "rejected" | "expired";

export interface Approval {
  id: string;
  action_id: string;
  summary: string;
  state: ApprovalState;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  tenant: string | null;
  incident_id: string | null;
  risk: string | null;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  version: number;
}

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface SilenceMatcher {
  name: string;
  value: string;
  op: MatchOp;
}

export interface Silence {
  id: string;
  tenant: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  status: { state: "pending" | "active" | "expired" };
}

export interface SilenceCreate {
  tenant: string;
  matchers: SilenceMatcher[];
  startsAt?: string;
  endsAt: string;
  comment: string;
  createdBy: string;
}

/** One edge learned from a tenant's alerts (`GET /api/topology/{tenant}`): the callee's alerts usually come first. */
export interface LearnedEdge {
  caller: string;
  callee: string;
  confidence: number;
  count: number;
  reverseCount: number;
  meanDelaySeconds: number | null;
  lastSeen: string | null;
  decision: "confirmed" | "rejected" | null;
}

/** A tenant's pushed graph (empty when none was pushed) and, separately, the edges learned from its alerts. */
export interface TenantTopology {
  tenant: string;
  services: { name: string; hosts: string[]; site: string | null }[];
  dependencies: [string, string][];
  pushed: boolean;
  learnedEdges: LearnedEdge[];
}

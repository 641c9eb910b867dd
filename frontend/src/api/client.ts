// The one API client: same-origin fetch, bearer token from session storage, typed errors.
import type {
  ActionPage, Advisory, Agent, AlertFilters, AlertPage, Approval, ApprovalState, AuditFilters, AuditLogRow, ChainStatus, Silence,
  SilenceCreate, ForecastOverview, IncidentDetail, IncidentFilters, IncidentSummary, KillSwitch, LogEntry, Metrics, PatchPlan,
  PatchSummary, LearnedEdge, SeriesDetail, SimulationStatus, TenantTopology,
} from "./types";

export type PatchCommand = "approve" | "pause" | "resume" | "rollback";

const TOKEN_KEY = "opsforge.token";

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const authListeners = new Set<Listener>();

/** Subscribe to "the server wants a token" (a 401); returns the unsubscribe function. */
export function onAuthRequired(listener: Listener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function request<T>(path: string, init: RequestInit = {}): Promise<{ body: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (init.body) headers.set("Content-Type", "application/json");
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) {
    if (response.status === 401) authListeners.forEach((listener) => listener());
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { detail?: unknown };
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return { body: (await response.json()) as T, headers: response.headers };
}

async function get<T>(path: string): Promise<T> {
  return (await request<T>(path)).body;
}

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await request<T>(path, { method, body: body === undefined ? undefined : JSON.stringify(body) })).body;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

export interface IncidentPage {
  items: IncidentSummary[];
  nextCursor: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

async function page<T>(path: string): Promise<Page<T>> {
  const { body, headers } = await request<T[]>(path);
  return { items: body, nextCursor: headers.get("X-Next-Cursor") };
}

/** Every row of a cursor-paged listing, following X-Next-Cursor to the end (for CSV export). */
async function everyPage<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | null = null;
  do {
    const next: Page<T> = await fetchPage(cursor);
    rows.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor);
  return rows;
}

const id = encodeURIComponent;

export const api = {
  health: () => get<{ status: string }>("/api/health"),
  metrics: () => get<Metrics>("/api/metrics"),
  agents: () => get<Agent[]>("/api/agents"),
  killSwitch: () => get<KillSwitch>("/api/kill-switch/status"),
  setKillSwitch: (active: boolean, reason: string) =>
    send<KillSwitch>("PUT", "/api/kill-switch", { active, reason, actor: "dashboard" }),
  simulation: () => get<SimulationStatus>("/api/simulation/status"),
  startSimulation: () => send<{ status: string }>("POST", "/api/simulation/start"),
  stopSimulation: () => send<{ status: string }>("POST", "/api/simulation/stop"),
  logs: (afterSeq: number) => get<{ logs: LogEntry[] }>(`/api/logs${query({ limit: 500, after_seq: afterSeq })}`),
  clearLogs: () => send<{ status: string }>("POST", "/api/logs/clear"),
  forecasts: () => get<ForecastOverview>("/api/forecasts"),
  series: (host: string, metric: string) =>
    get<SeriesDetail>(`/api/forecasts/${encodeURIComponent(host)}/${encodeURIComponent(metric)}`),
  incident: (id: string) => get<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`),
  acknowledge: (id: string, reason: string) =>
    send<IncidentSummary>("POST", `/api/incidents/${encodeURIComponent(id)}/acknowledge`, { reason, actor: "dashboard" }),
  resolve: (id: string, reason: string) =>
    send<IncidentSummary>("POST", `/api/incidents/${encodeURIComponent(id)}/resolve`, { reason, actor: "dashboard" }),
  incidentActions: (id: string) => get<ActionPage>(`/api/actions${query({ incident_id: id, limit: 100 })}`),
  topology: (tenant: string) => get<TenantTopology>(`/api/topology/${encodeURIComponent(tenant)}`),
  decideEdge: (tenant: string, decision: "confirm" | "reject", edge: LearnedEdge, reason: string) =>
    send<LearnedEdge>("POST", `/api/topology/${encodeURIComponent(tenant)}/edges/${decision}`, {
      caller: edge.caller, callee: edge.callee, reason, actor: "dashboard",
    }),
  alerts: (filters: AlertFilters, limit: number, cursor?: string | null) =>
    get<AlertPage>(`/api/alerts${query({ ...filters, limit, cursor: cursor ?? undefined })}`),
  auditLogs: (filters: AuditFilters, limit: number, cursor?: string | null) =>
    page<AuditLogRow>(`/api/audit-logs${query({ ...filters, limit, cursor: cursor ?? undefined })}`),
  allAuditLogs: (filters: AuditFilters) => everyPage((cursor) => api.auditLogs(filters, 500, cursor)),
  verifyAudit: () => get<ChainStatus>("/api/audit-logs/verify"),
  approvals: (state: ApprovalState | undefined, limit: number, cursor?: string | null) =>
    page<Approval>(`/api/approvals${query({ state, limit, cursor: cursor ?? undefined })}`),
  decideApproval: (approvalId: string, approve: boolean, reason: string) =>
    send<Approval>("POST", `/api/approvals/${id(approvalId)}/${approve ? "approve" : "reject"}`, { reason, actor: "dashboard" }),
  silences: (current: boolean, limit: number, cursor?: string | null) =>
    page<Silence>(`/api/silences${query({ state: current ? "current" : undefined, limit, cursor: cursor ?? undefined })}`),
  createSilence: (body: SilenceCreate) => send<Silence>("POST", "/api/silences", body),
  expireSilence: (silenceId: string) =>
    send<Silence>("DELETE", `/api/silences/${id(silenceId)}${query({ actor: "dashboard", reason: "expired from the dashboard" })}`),
  async incidents(filters: IncidentFilters, limit: number, cursor?: string | null): Promise<IncidentPage> {
    const { body, headers } = await request<IncidentSummary[]>(
      `/api/incidents${query({ ...filters, limit, cursor: cursor ?? undefined })}`,
    );
    return { items: body, nextCursor: headers.get("X-Next-Cursor") };
  },
  patches: () => get<PatchSummary[]>("/api/patches?limit=100"),
  patch: (id: string) => get<PatchPlan>(`/api/patches/${encodeURIComponent(id)}`),
  advisories: () => get<Advisory[]>("/api/patches/advisories?limit=100"),
  createPatch: (advisoryId: string) =>
    send<PatchPlan>("POST", "/api/patches", { advisory_id: advisoryId, actor: "dashboard" }),
  patchCommand: (id: string, command: PatchCommand, reason: string) =>
    send<PatchPlan>("POST", `/api/patches/${encodeURIComponent(id)}/${command}`, { reason, actor: "dashboard" }),
  /** Every incident matching the filters, following cursors across all pages (for CSV export). */
  allIncidents: (filters: IncidentFilters): Promise<IncidentSummary[]> =>
    everyPage((cursor) => api.incidents(filters, 500, cursor)),
};

"""The runbook catalogue: every action TaskOps (and PatchOps) may ask the Executor for.

Each `ActionSpec` states its parameter schema, preconditions (target roles, TLS), risk level, expected
effect, the verification check judged on the target's signals afterwards, and its rollback where one
exists. Signal names are the general monitoring vocabulary (cpu, memory, disk, cert_days, ...), so any
fleet whose monitoring reports them can be verified.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.guardrails import ActionSpec, Check
from data.models import RiskLevel

L, M, H = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScaleOutParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    replicas: int = Field(default=1, ge=1, le=10, description="replicas to add")


class ExpandParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grow_percent: int = Field(default=25, ge=5, le=100, description="how much larger the volume becomes")


class KillParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    process: str | None = Field(
        default=None, min_length=1, max_length=200, description="process name; the top consumer when absent"
    )


class ThrottleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client: str | None = Field(
        default=None, min_length=1, max_length=200, description="client id; the loudest when absent"
    )
    requests_per_s: int = Field(default=50, ge=1, le=100_000)


class PatchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advisory_id: str | None = Field(default=None, min_length=1, max_length=100)
    package: str | None = Field(default=None, min_length=1, max_length=100)
    version: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _named(self) -> PatchParams:
        if self.advisory_id is None and (self.package is None or self.version is None):
            raise ValueError("give advisory_id, or package and version")
        return self


class RollbackParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advisory_id: str | None = Field(default=None, min_length=1, max_length=100)
    package: str | None = Field(default=None, min_length=1, max_length=100)


def _c(signal: str, op: str, threshold: float) -> Check:
    return Check(signal, op, threshold)  # type: ignore[arg-type]


HEALTHY = (_c("up", ">=", 0.5), _c("error_rate", "<", 5.0))

CATALOGUE: tuple[ActionSpec, ...] = (
    ActionSpec("restart_service", "Restart service", M, NoParams,
               "the service process starts afresh: leaked memory is returned, wedged resolvers and config reload",
               (_c("memory", "<", 90.0), _c("error_rate", "<", 5.0)), disruptive=True),
    ActionSpec("clear_cache", "Clear cache", L, NoParams,
               "stale and oversized keys are evicted; the hit ratio recovers", (_c("cache_hit", ">=", 0.6),),
               roles=("cache",)),
    ActionSpec("scale_out", "Scale out", M, ScaleOutParams,
               "more replicas with headroom; a restart loop from resource limits stops",
               (_c("restarts", "<=", 3.0), _c("error_rate", "<", 5.0))),
    ActionSpec("failover_database", "Fail over database", H, NoParams,
               "the replica is promoted; clients reconnect to a healthy primary", HEALTHY, roles=("db",),
               disruptive=True),
    ActionSpec("rotate_certificate", "Rotate certificate", L, NoParams,
               "a fresh certificate is installed; TLS handshakes succeed", (_c("cert_days", ">=", 14.0),),
               needs_tls=True),
    ActionSpec("cleanup_disk", "Disk clean-up", L, NoParams,
               "old logs and temporary files are removed; the volume has room again", (_c("disk", "<", 80.0),)),
    ActionSpec("expand_disk", "Expand volume", M, ExpandParams,
               "the volume grows; usage falls below the warning line", (_c("disk", "<", 80.0),)),
    ActionSpec("kill_process", "Kill runaway process", L, KillParams,
               "the process hogging CPU or I/O is stopped", (_c("cpu", "<", 90.0), _c("io_latency", "<", 50.0))),
    ActionSpec("flush_dns", "Flush DNS", L, NoParams,
               "the resolver cache is emptied; lookups succeed", (_c("dns_failures", "<", 20.0),), roles=("dns",)),
    ActionSpec("restart_load_balancer", "Restart load balancer", M, NoParams,
               "the health checker restarts and re-admits the backends", (_c("lb_health", ">=", 0.5),),
               roles=("lb",), disruptive=True),
    ActionSpec("run_backup", "Run backup", L, NoParams,
               "the backup job runs again and completes", (_c("backup_failed", "<", 0.5),), roles=("backup",)),
    ActionSpec("apply_patch", "Apply patch", M, PatchParams,
               "the fixed package version is installed", (_c("error_rate", "<", 5.0), _c("restarts", "<=", 3.0)),
               rollback="rollback_patch", disruptive=True),
    ActionSpec("rollback_patch", "Roll back patch", M, RollbackParams,
               "the previous package version is restored", (_c("error_rate", "<", 5.0),
                                                            _c("dependency_failures", "<", 10.0))),
    ActionSpec("reboot", "Reboot host", H, NoParams,
               "the host restarts on its installed kernel and libraries", (_c("reboot_pending", "<", 0.5),),
               disruptive=True),
    ActionSpec("isolate_host", "Isolate host", H, NoParams,
               "the host is cut off from the network; the attack stops", (_c("auth_failures", "<", 50.0),),
               disruptive=True),
    ActionSpec("throttle_client", "Throttle client", L, ThrottleParams,
               "the loudest client is rate-limited; others are served again", (_c("rate_limited", "<", 100.0),)),
)  # fmt: skip
SPECS: dict[str, ActionSpec] = {spec.id: spec for spec in CATALOGUE}

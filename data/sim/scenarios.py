"""The fault scenario catalogue.

Each `Scenario` says which services its root can hit, what it does to the root host and to named
services of the same tenant over time, how it travels upstream to the callers of the root service,
which log/event alerts come with it, whether it heals by itself, and which remediation fixes it
(``remedy``, plus ``also_fixes``), which makes it worse (``worsened_by``); every other action does
nothing to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.models import Severity

ACTIONS: tuple[str, ...] = (
    "restart_service",
    "clear_cache",
    "scale_out",
    "failover_database",
    "rotate_certificate",
    "cleanup_disk",
    "expand_disk",
    "kill_process",
    "flush_dns",
    "restart_load_balancer",
    "run_backup",
    "apply_patch",
    "rollback_patch",
    "reboot",
    "isolate_host",
    "throttle_client",
)


@dataclass(frozen=True)
class Effect:
    """Change ``signal`` on ``target`` hosts: "root", "service" (all hosts of the root service), "site"
    (hosts in the root's site) or a service suffix of the same tenant ("db"). ``kind`` is add, mult or
    set; the change starts ``after_s`` after onset and grows linearly to ``amount`` over ``ramp_s``."""

    signal: str
    kind: str
    amount: float
    target: str = "root"
    after_s: float = 0.0
    ramp_s: float = 0.0


@dataclass(frozen=True)
class EventAlert:
    """A log/event alert the fault raises ``delay_s`` after it reaches ``where`` (root, callers or a suffix)."""

    alertname: str
    severity: Severity
    where: str
    delay_s: tuple[float, float]
    summary: str


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    severity: Severity
    root_services: tuple[str, ...]
    effects: tuple[Effect, ...]
    remedy: str | None
    caller_effects: tuple[Effect, ...] = ()
    cascade_after_s: float = 60.0
    events: tuple[EventAlert, ...] = ()
    also_fixes: tuple[str, ...] = ()
    worsened_by: tuple[str, ...] = ()
    self_heal_p: float = 0.0
    self_heal_s: tuple[float, float] = (1800.0, 5400.0)
    second_site: bool = False
    random_weight: float = 1.0
    description: str = ""


def _ev(name: str, sev: Severity, where: str, lo: float, hi: float, summary: str) -> EventAlert:
    return EventAlert(name, sev, where, (lo, hi), summary)


C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
_LAT_ERR = (Effect("latency_p95", "mult", 6.0, ramp_s=60), Effect("error_rate", "add", 10.0, ramp_s=60))

CATALOGUE: tuple[Scenario, ...] = (
    Scenario(
        "database_cascade",
        "Database server unresponsive",
        C,
        ("db",),
        (
            Effect("connections", "mult", 2.6, ramp_s=120),
            Effect("latency_p95", "mult", 15.0, ramp_s=120),
            Effect("cpu", "add", 55.0, ramp_s=120),
            Effect("error_rate", "add", 8.0, after_s=60),
        ),
        "failover_database",
        caller_effects=(*_LAT_ERR, Effect("connections", "mult", 2.8, ramp_s=60)),
        cascade_after_s=90,
        events=(
            _ev("DatabaseUnresponsive", C, "root", 5, 30, "Database server unresponsive"),
            _ev("UpstreamConnectionTimeout", H, "callers", 10, 60, "Connection timeout to the database tier"),
        ),
        worsened_by=("restart_service",),
        description="Primary database stops answering; callers exhaust their pools and time out.",
    ),
    Scenario(
        "memory_leak",
        "Memory exhausted on application server",
        H,
        ("api", "auth", "web"),
        (Effect("memory", "add", 45.0, ramp_s=1800), Effect("latency_p95", "mult", 3.0, after_s=900, ramp_s=900)),
        "restart_service",
        caller_effects=_LAT_ERR,
        cascade_after_s=1500,
        events=(
            _ev("SwapUsageHigh", M, "root", 900, 1200, "Swap usage at 95%"),
            _ev("OomKillerTriggered", H, "root", 1600, 2100, "OOM killer triggered"),
        ),
        also_fixes=("reboot",),
        description="A process leaks memory until the OOM killer strikes; latency climbs on the way.",
    ),
    Scenario(
        "cpu_spike",
        "CPU usage sustained above 95%",
        H,
        ("api", "web", "backup"),
        (Effect("cpu", "add", 66.0, ramp_s=60), Effect("latency_p95", "mult", 4.5, ramp_s=120)),
        "kill_process",
        caller_effects=_LAT_ERR,
        cascade_after_s=180,
        events=(
            _ev("ProcessCpuRunaway", H, "root", 10, 60, "Process consuming excessive CPU"),
            _ev("ThreadPoolExhausted", M, "root", 120, 300, "Thread pool exhaustion"),
        ),
        also_fixes=("reboot",),
        self_heal_p=0.3,
        description="A runaway process pins the CPU; response time degrades.",
    ),
    Scenario(
        "disk_full",
        "Disk space critical on volume",
        C,
        ("db", "storage", "backup", "web"),
        (Effect("disk", "add", 48.0, ramp_s=2400), Effect("error_rate", "add", 18.0, after_s=2100, ramp_s=120)),
        "cleanup_disk",
        caller_effects=_LAT_ERR,
        cascade_after_s=2200,
        events=(
            _ev("LogsFillingPartition", L, "root", 600, 900, "Log files filling partition"),
            _ev("NoSpaceLeftOnDevice", C, "root", 2150, 2400, "Application errors: no space left"),
        ),
        also_fixes=("expand_disk",),
        description="Logs fill a volume linearly until writes fail.",
    ),
    Scenario(
        "network_partition",
        "Network partition detected between datacenters",
        C,
        ("lb",),
        (
            Effect("network", "mult", 0.05),
            Effect("up", "set", 0.0, target="site", after_s=30),
            Effect("replication_lag", "add", 240.0, target="db", ramp_s=300),
        ),
        "reboot",
        events=(
            _ev("SiteLinkDown", C, "root", 5, 20, "Network partition detected between datacenters"),
            _ev("SplitBrainPossible", H, "db", 120, 400, "Split-brain condition possible"),
        ),
        worsened_by=("failover_database",),
        self_heal_p=0.2,
        second_site=True,
        description="The second site's gateway drops the inter-site link; the site goes dark, replication lags.",
    ),
    Scenario(
        "ssl_expiry",
        "SSL certificate expired",
        H,
        ("lb", "web", "api", "auth"),
        (Effect("cert_days", "set", -0.5), Effect("error_rate", "add", 30.0, after_s=30)),
        "rotate_certificate",
        caller_effects=(Effect("error_rate", "add", 12.0),),
        cascade_after_s=60,
        events=(_ev("TlsHandshakeFailures", H, "root", 10, 60, "HTTPS connections failing"),),
        description="A certificate renewal silently failed and the certificate expired.",
    ),
    Scenario(
        "backup_failure",
        "Scheduled backup job failed",
        M,
        ("backup",),
        (Effect("backup_failed", "set", 1.0),),
        "run_backup",
        events=(
            _ev("BackupStorageUnreachable", M, "root", 30, 120, "Backup storage unreachable"),
            _ev("BackupVerificationFailed", M, "root", 600, 900, "Backup verification failed"),
        ),
        description="The nightly backup failed on a transient lock; a rerun succeeds.",
    ),
    Scenario(
        "security_breach",
        "Suspicious authentication attempts detected",
        C,
        ("auth", "web", "api"),
        (Effect("auth_failures", "add", 400.0, ramp_s=120), Effect("cpu", "add", 15.0), Effect("network", "mult", 1.6)),
        "isolate_host",
        events=(
            _ev("UnusualGeoAccess", H, "root", 60, 300, "Unusual geographic access"),
            _ev("PrivilegeEscalationAttempt", C, "root", 300, 900, "Privilege escalation attempt"),
        ),
        description="Credential stuffing against a host that was partly compromised.",
    ),
    Scenario(
        "container_crash",
        "Container restart loop detected",
        H,
        ("api", "web", "auth", "integration"),
        (
            Effect("restarts", "set", 6.0, after_s=30),
            Effect("error_rate", "add", 25.0, ramp_s=60),
            Effect("memory", "add", 30.0, ramp_s=120),
        ),
        "scale_out",
        caller_effects=_LAT_ERR,
        cascade_after_s=120,
        events=(
            _ev("ContainerExitCode137", H, "root", 20, 60, "Container exit code 137"),
            _ev("LivenessProbeFailing", H, "root", 30, 90, "Liveness probe failing"),
        ),
        description="The workload outgrew its memory limit and is OOM-killed in a loop.",
    ),
    Scenario(
        "dns_failure",
        "DNS resolution failures increasing",
        H,
        ("dns",),
        (
            Effect("dns_failures", "add", 120.0, ramp_s=60),
            Effect("error_rate", "add", 30.0),
            Effect("latency_p95", "mult", 20.0),
        ),
        "flush_dns",
        caller_effects=(Effect("error_rate", "add", 9.0), Effect("latency_p95", "mult", 4.5)),
        cascade_after_s=60,
        events=(
            _ev("NameServerTimeout", H, "root", 30, 90, "Name server timeout"),
            _ev("NxdomainSpike", M, "root", 60, 180, "NXDOMAIN responses spiking"),
        ),
        also_fixes=("restart_service",),
        description="A poisoned resolver cache returns failures to every service of the tenant.",
    ),
    Scenario(
        "load_balancer_down",
        "Load balancer health check failing",
        C,
        ("lb",),
        (
            Effect("lb_health", "set", 0.0),
            Effect("error_rate", "add", 60.0),
            Effect("connections", "mult", 0.1),
            Effect("connections", "mult", 0.3, target="web"),
        ),
        "restart_load_balancer",
        events=(
            _ev("BackendPoolEmpty", C, "root", 20, 60, "Backend pool empty"),
            _ev("HealthProbeTimeout", H, "root", 10, 40, "Health probe timeout"),
        ),
        description="The load balancer's health checker wedged and marked every backend down.",
    ),
    Scenario(
        "patch_reboot_required",
        "Critical security patch installed, reboot pending",
        M,
        ("api", "auth", "integration", "web", "db", "dns"),
        (Effect("reboot_pending", "set", 1.0),),
        "reboot",
        events=(_ev("ServicesUsingOldLibraries", L, "root", 300, 600, "Services running on old libraries"),),
        description="A kernel/library patch is installed but the old code keeps running until a reboot.",
    ),
    Scenario(
        "api_rate_limit",
        "API rate limit exceeded",
        M,
        ("api", "integration", "auth"),
        (
            Effect("rate_limited", "add", 400.0, ramp_s=60),
            Effect("cpu", "add", 20.0),
            Effect("latency_p95", "mult", 2.0),
        ),
        "throttle_client",
        caller_effects=(Effect("error_rate", "add", 9.0),),
        cascade_after_s=120,
        events=(_ev("ClientRetryStorm", M, "root", 60, 180, "Client retry storm detected"),),
        worsened_by=("restart_service",),
        self_heal_p=0.3,
        description="One client's retry storm exhausts the quota; everyone else gets 429s.",
    ),
    Scenario(
        "cache_miss_storm",
        "Cache hit ratio dropped below threshold",
        H,
        ("cache",),
        (
            Effect("cache_hit", "add", -0.6, ramp_s=120),
            Effect("memory", "add", 30.0),
            Effect("cpu", "add", 45.0, target="db", ramp_s=300),
            Effect("connections", "mult", 1.8, target="db"),
            Effect("latency_p95", "mult", 4.5, target="db", ramp_s=300),
        ),
        "clear_cache",
        caller_effects=(Effect("latency_p95", "mult", 5.5, ramp_s=120),),
        cascade_after_s=180,
        events=(_ev("CacheEvictionRateHigh", H, "root", 30, 120, "Cache eviction rate high"),),
        worsened_by=("restart_service",),
        description="Stale oversized keys fill the cache; hot keys are evicted and load falls through to the db.",
    ),
    Scenario(
        "storage_latency",
        "Storage I/O latency spike detected",
        H,
        ("storage",),
        (
            Effect("io_latency", "add", 150.0, ramp_s=120),
            Effect("latency_p95", "mult", 8.0, ramp_s=120),
            Effect("io_latency", "add", 90.0, target="db", after_s=60, ramp_s=180),
        ),
        "kill_process",
        caller_effects=_LAT_ERR,
        cascade_after_s=240,
        events=(
            _ev("IopsLimitReached", H, "root", 60, 180, "IOPS limit reached"),
            _ev("DatabaseCheckpointStalled", H, "db", 300, 600, "Database checkpoint stalled"),
        ),
        description="A runaway scrub saturates the storage array's IOPS.",
    ),
    Scenario(
        "service_dependency_failure",
        "External service dependency unavailable",
        M,
        ("integration",),
        (
            Effect("dependency_failures", "add", 60.0, ramp_s=60),
            Effect("error_rate", "add", 20.0),
            Effect("latency_p95", "mult", 6.0),
        ),
        "rollback_patch",
        caller_effects=(Effect("error_rate", "add", 9.0),),
        cascade_after_s=120,
        events=(_ev("CircuitBreakerOpen", M, "root", 60, 180, "Circuit breaker opened"),),
        description="A client library update broke the connection to a third-party API.",
    ),
    # Not started at random: they follow an action (a bad patch, a reboot, a restart).
    Scenario(
        "bad_patch",
        "Service regression after patch",
        H,
        (),
        (Effect("error_rate", "add", 15.0, ramp_s=60), Effect("restarts", "set", 2.0)),
        "rollback_patch",
        caller_effects=(Effect("error_rate", "add", 9.0),),
        cascade_after_s=120,
        random_weight=0.0,
        description="An installed patch is bad on this host: errors and crashes.",
    ),
    Scenario(
        "maintenance_downtime",
        "Host down for maintenance",
        M,
        (),
        (Effect("up", "set", 0.0), Effect("error_rate", "add", 6.0, target="service")),
        None,
        self_heal_p=1.0,
        self_heal_s=(120.0, 240.0),
        random_weight=0.0,
        description="A reboot or isolation takes the host out for a few minutes.",
    ),
    Scenario(
        "service_restart",
        "Service restarted",
        L,
        (),
        (Effect("restarts", "set", 1.0),),
        None,
        self_heal_p=1.0,
        self_heal_s=(60.0, 120.0),
        random_weight=0.0,
        description="A restart is seen by monitoring as one restart event.",
    ),
)
SCENARIOS: dict[str, Scenario] = {s.name: s for s in CATALOGUE}
RANDOM_SCENARIOS: tuple[Scenario, ...] = tuple(s for s in CATALOGUE if s.random_weight > 0)

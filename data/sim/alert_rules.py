"""Prometheus-style alerting rules over the simulated signals, evaluated for all hosts at once.

A rule is ``signal op threshold`` held for ``for_s`` seconds. Like Prometheus, a rule whose condition
turns true becomes pending at that evaluation and fires at the first evaluation where it has been true
for at least ``for_s``; it resolves at the first evaluation where the condition has been false for at
least ``keep_firing_for_s`` (0: at the first false evaluation), and a firing alert is re-sent every
``repeat_s`` (Alertmanager's repeat interval) with the same ``startsAt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from data.models import Severity
from data.sim.fleet import Fleet
from data.sim.metrics_simulator import SIG, SIGNALS


@dataclass(frozen=True)
class Rule:
    """One alerting rule. ``threshold_x_base`` makes the threshold a multiple of the host's baseline
    of that metric (a per-service SLO); ``roles`` limits the rule to hosts with those roles."""

    name: str
    signal: str
    op: str
    threshold: float
    for_s: float
    severity: Severity
    job: str
    summary: str
    threshold_x_base: bool = False
    roles: tuple[str, ...] = ()
    hygiene: bool = False
    keep_firing_for_s: float = 0.0


RULES: tuple[Rule, ...] = (
    Rule("InstanceDown", "up", "<", 0.5, 60, Severity.CRITICAL, "node", "{instance} is unreachable"),
    Rule("HostHighCpuLoad", "cpu", ">", 90, 300, Severity.HIGH, "node", "CPU above 90% on {instance}"),
    Rule("HostMemoryExhausted", "memory", ">", 92, 180, Severity.HIGH, "node", "Memory above 92% on {instance}"),
    Rule(
        "HostDiskSpaceWarning",
        "disk",
        ">",
        80,
        600,
        Severity.LOW,
        "node",
        "Disk above 80% on {instance}",
        hygiene=True,
    ),
    Rule("HostDiskSpaceCritical", "disk", ">", 95, 120, Severity.CRITICAL, "node", "Disk above 95% on {instance}"),
    Rule("HostNetworkSaturated", "network", ">", 900, 180, Severity.MEDIUM, "node", "NIC saturated on {instance}"),
    Rule(
        "LatencyP95High",
        "latency_p95",
        ">",
        3.0,
        120,
        Severity.HIGH,
        "app",
        "p95 latency of {service} high",
        threshold_x_base=True,
        keep_firing_for_s=180,
    ),
    Rule(
        "ErrorRateHigh",
        "error_rate",
        ">",
        5.0,
        120,
        Severity.HIGH,
        "app",
        "{service} error rate above 5%",
        keep_firing_for_s=180,
    ),
    Rule(
        "ConnectionPoolExhausted",
        "connections",
        ">",
        0.95,
        60,
        Severity.HIGH,
        "app",
        "Connection pool nearly exhausted on {instance}",
    ),
    Rule(
        "CertificateExpiringSoon",
        "cert_days",
        "<",
        14,
        0,
        Severity.LOW,
        "blackbox",
        "TLS certificate of {instance} expires within 14 days",
        hygiene=True,
    ),
    Rule("CertificateExpired", "cert_days", "<", 0, 0, Severity.CRITICAL, "blackbox", "TLS certificate expired"),
    Rule("BackupJobFailed", "backup_failed", ">", 0.5, 0, Severity.MEDIUM, "backup", "Backup job failed"),
    Rule("ContainerRestartLoop", "restarts", ">", 3, 0, Severity.HIGH, "kubelet", "{service} restarting in a loop"),
    Rule(
        "ServiceRestarted",
        "restarts",
        ">",
        0.5,
        0,
        Severity.INFO,
        "kubelet",
        "{service} restarted on {instance}",
        hygiene=True,
    ),
    Rule("AuthFailuresBurst", "auth_failures", ">", 50, 60, Severity.CRITICAL, "auth", "Burst of failed logins"),
    Rule("ReplicationLagHigh", "replication_lag", ">", 30, 120, Severity.HIGH, "postgres", "Replica lagging"),
    Rule("CacheHitRatioLow", "cache_hit", "<", 0.6, 180, Severity.HIGH, "redis", "Cache hit ratio below 60%"),
    Rule("StorageIoLatencyHigh", "io_latency", ">", 50, 120, Severity.HIGH, "node", "Storage I/O latency high"),
    Rule("RebootRequired", "reboot_pending", ">", 0.5, 0, Severity.MEDIUM, "node", "{instance} needs a reboot"),
    Rule(
        "ConfigReloadFailed",
        "config_reload_failed",
        ">",
        0.5,
        0,
        Severity.LOW,
        "app",
        "Config reload failed on {instance}",
        hygiene=True,
    ),
    Rule("ApiRateLimited", "rate_limited", ">", 100, 60, Severity.MEDIUM, "app", "{service} answering 429s"),
    Rule("DnsResolutionFailures", "dns_failures", ">", 20, 60, Severity.HIGH, "dns", "DNS resolution failures"),
    Rule(
        "LoadBalancerHealthCheckFailing",
        "lb_health",
        "<",
        0.5,
        60,
        Severity.CRITICAL,
        "haproxy",
        "Load balancer health check failing",
    ),
    Rule(
        "UpstreamDependencyUnavailable",
        "dependency_failures",
        ">",
        10,
        60,
        Severity.MEDIUM,
        "app",
        "External dependency of {service} unavailable",
    ),
)
RULE_INDEX: dict[str, int] = {r.name: i for i, r in enumerate(RULES)}


@dataclass
class Transitions:
    """Host/rule index pairs that changed at one evaluation."""

    fired: list[tuple[int, int]] = field(default_factory=list)
    resolved: list[tuple[int, int]] = field(default_factory=list)
    repeated: list[tuple[int, int]] = field(default_factory=list)


class RuleEngine:
    """Vectorised evaluation of `RULES` for every host; keeps pending/firing state between evaluations."""

    def __init__(
        self, fleet: Fleet, base: NDArray[np.float64], max_connections: NDArray[np.float64], repeat_s: float = 900.0
    ) -> None:
        n, r = len(fleet.hosts), len(RULES)
        self.repeat_s = repeat_s
        self.signal_idx = np.array([SIG[rule.signal] for rule in RULES])
        self.greater = np.array([rule.op == ">" for rule in RULES])
        self.for_s = np.array([rule.for_s for rule in RULES])
        self.keep_for_s = np.array([rule.keep_firing_for_s for rule in RULES])
        thresholds = np.empty((n, r))
        roles = np.array(fleet.host_role)
        for j, rule in enumerate(RULES):
            if rule.threshold_x_base:
                thresholds[:, j] = base[:, SIGNALS.index(rule.signal)] * rule.threshold
            elif rule.signal == "connections":
                thresholds[:, j] = max_connections * rule.threshold
            else:
                thresholds[:, j] = rule.threshold
            if rule.roles:
                thresholds[~np.isin(roles, rule.roles), j] = np.nan
        self.thresholds = thresholds
        self.pending_since = np.full((n, r), np.nan)
        self.false_since = np.full((n, r), np.nan)
        self.firing = np.zeros((n, r), dtype=bool)
        self.last_sent = np.full((n, r), np.nan)

    def evaluate(self, t: float, values: NDArray[np.float64]) -> Transitions:
        """Evaluate every rule at time ``t`` (epoch seconds) on ``values`` (hosts x SIGNALS)."""
        observed = values[:, self.signal_idx]
        with np.errstate(invalid="ignore"):
            cond = np.where(self.greater, observed > self.thresholds, observed < self.thresholds)
        cond &= ~np.isnan(self.thresholds)
        self.pending_since[cond & np.isnan(self.pending_since)] = t
        self.false_since[cond] = np.nan
        cleared = ~cond
        self.pending_since[cleared] = np.nan
        self.false_since[cleared & np.isnan(self.false_since)] = t
        with np.errstate(invalid="ignore"):
            resolved = cleared & self.firing & (t - self.false_since >= self.keep_for_s)
            fire = cond & ~self.firing & (t - self.pending_since >= self.for_s)
            repeat = self.firing & ~resolved & (t - self.last_sent >= self.repeat_s)
        self.firing[resolved] = False
        self.firing[fire] = True
        self.last_sent[fire | repeat] = t
        out = Transitions()
        out.fired = list(zip(*(a.tolist() for a in np.nonzero(fire)), strict=True))
        out.resolved = list(zip(*(a.tolist() for a in np.nonzero(resolved)), strict=True))
        out.repeated = list(zip(*(a.tolist() for a in np.nonzero(repeat)), strict=True))
        return out

    def firing_on(self, host: int) -> list[str]:
        """Return the names of the rules firing on ``host`` now."""
        return [RULES[j].name for j in np.nonzero(self.firing[host])[0].tolist()]

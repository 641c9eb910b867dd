"""Remedies proposed for an incident or a predicted risk, each with the evidence that suggests it.

An incident's alerts on its root-cause host are read as symptoms: alert names are split into words
("OomKillerTriggered" -> oom, killer, triggered) and matched against a vocabulary of monitoring terms
(memory, swap, disk, certificate, nxdomain, ...), never against the names of simulated scenarios. A
symptom suggests runbook actions with a prior confidence; verified outcomes move it (a Beta posterior
over the (symptom, action) pair's recorded successes, kept in the knowledge base), so a remedy that
keeps failing its verification on a kind of host (role) loses confidence there and one that works gains it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from config.guardrails import ActionSpec
from data.actuation import Inventory
from data.errors import InvalidInput
from data.models import Alert, AlertState, Incident, Risk

# symptom -> (word sets, any of which must all appear in an alert name or signal; suggested actions with priors)
VOCABULARY: dict[str, tuple[tuple[frozenset[str], ...], tuple[tuple[str, float], ...]]] = {}


def _symptom(name: str, patterns: Iterable[str], actions: Iterable[tuple[str, float]]) -> None:
    VOCABULARY[name] = (tuple(frozenset(p.split()) for p in patterns), tuple(actions))


_symptom("memory_pressure", ["memory", "oom", "swap"], [("restart_service", 0.8)])
_symptom("cpu_saturation", ["cpu", "thread pool"], [("kill_process", 0.75)])
_symptom("io_saturation", ["io latency", "iops"], [("kill_process", 0.7)])
_symptom("disk_full", ["disk", "space", "partition"], [("cleanup_disk", 0.8), ("expand_disk", 0.6)])
_symptom("certificate", ["certificate", "tls", "ssl", "cert"], [("rotate_certificate", 0.85)])
_symptom("backup_failed", ["backup"], [("run_backup", 0.85)])
_symptom("name_resolution", ["dns", "nxdomain", "name server"], [("flush_dns", 0.85)])
_symptom("cache_degraded", ["cache", "eviction"], [("clear_cache", 0.85)])
_symptom("balancer_unhealthy", ["balancer", "backend pool", "health probe"], [("restart_load_balancer", 0.8)])
_symptom("restart_loop", ["restart loop", "exit code", "liveness"], [("scale_out", 0.7)])
_symptom("rate_limited", ["rate limited", "rate limit", "retry storm"], [("throttle_client", 0.8)])
_symptom("reboot_pending", ["reboot", "old libraries"], [("reboot", 0.8)])
_symptom("intrusion", ["auth failures", "privilege", "geo access"], [("isolate_host", 0.7)])
_symptom("database_down", ["database unresponsive", "database not responding"], [("failover_database", 0.7)])
_symptom("dependency_broken", ["dependency", "circuit breaker"], [("rollback_patch", 0.6)])

# A predicted risk names a metric; these say which symptom its crossing would be.
RISK_SYMPTOMS = {
    "memory": "memory_pressure",
    "cpu": "cpu_saturation",
    "disk": "disk_full",
    "cert_days": "certificate",
    "io_latency": "io_saturation",
}
PRIOR_WEIGHT = 4.0  # the prior counts as this many observed outcomes
SEVERITY_WEIGHT = {"critical": 3.0, "high": 2.0, "medium": 1.0, "low": 1.0, "info": 0.5}


def words(name: str) -> frozenset[str]:
    """Return the lower-case words of an alert or signal name (CamelCase, snake_case, digits split)."""
    spaced = re.sub(r"([a-zA-Z])([0-9])", r"\1 \2", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name))
    return frozenset(w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w)


def symptoms_of(name: str) -> list[str]:
    """Return the symptoms an alert or signal name shows, in vocabulary order."""
    have = words(name)
    return [symptom for symptom, (patterns, _) in VOCABULARY.items() if any(p <= have for p in patterns)]


@dataclass(frozen=True)
class Proposal:
    """A candidate action with its confidence and the evidence behind it."""

    action: str
    target: str
    tenant: str
    confidence: float
    symptom: str
    evidence: list[str] = field(default_factory=list)
    risk: str = ""
    role: str = ""
    params: dict[str, object] = field(default_factory=dict)


Stats = Callable[[str], Mapping[str, float] | None]


def stats_key(symptom: str, role: str, action: str) -> str:
    """Return the statistics key of a remedy for a symptom on a host of ``role``: the same symptom can have
    different causes on different kinds of host (high CPU on a database is rarely a runaway process)."""
    return f"{symptom}@{role}->{action}"


def confidence(prior: float, stats: Mapping[str, float] | None) -> float:
    """Return the posterior mean success rate of a (symptom, action) pair given its recorded outcomes."""
    successes = float((stats or {}).get("verified", 0.0))
    trials = float((stats or {}).get("trials", 0.0))
    return (prior * PRIOR_WEIGHT + successes) / (PRIOR_WEIGHT + trials)


class Proposer:
    """Turns an incident (its root host and alerts) or a risk into ranked `Proposal`s."""

    def __init__(self, catalogue: Mapping[str, ActionSpec], inventory: Inventory, stats: Stats) -> None:
        self._catalogue = catalogue
        self._inventory = inventory
        self._stats = stats

    def for_incident(self, incident: Incident, alerts: Sequence[Alert]) -> list[Proposal]:
        """Return candidate actions on the incident's root-cause host, best first (empty without one).

        Only alerts still firing on that host are evidence. Each symptom's share of the evidence, weighted
        by the alerts' severity (the most severe symptom is the likeliest cause), scales the learned
        confidence of the actions it suggests."""
        host = incident.rootCauseHost
        if not host:
            return []
        evidence: dict[str, list[str]] = {}
        weight: dict[str, float] = {}
        for alert in alerts:
            if alert.status is not AlertState.FIRING:
                continue
            if (alert.labels.get("host") or alert.labels.get("instance")) != host:
                continue
            name = alert.labels.get("alertname", "")
            for symptom in symptoms_of(name):
                evidence.setdefault(symptom, []).append(f"{name} on {host}")
                weight[symptom] = weight.get(symptom, 0.0) + SEVERITY_WEIGHT.get(alert.labels.get("severity", ""), 1.0)
        total = sum(weight.values())
        return self._rank(host, evidence, {symptom: w / total for symptom, w in weight.items()})

    def for_risk(self, risk: Risk) -> list[Proposal]:
        """Return candidate actions that would prevent ``risk`` (its metric crossing its threshold)."""
        symptom = RISK_SYMPTOMS.get(risk.metric)
        if symptom is None:
            return []
        note = (
            f"{risk.metric} forecast to cross {risk.threshold:g} at {risk.eta.isoformat()} (p={risk.probability:.2f})"
        )
        return self._rank(risk.host, {symptom: [note]}, {symptom: 1.0})

    def _rank(self, host: str, evidence: Mapping[str, list[str]], share: Mapping[str, float]) -> list[Proposal]:
        target = self._inventory.resolve(host)
        if target is None:
            return []
        found: dict[str, Proposal] = {}
        for symptom, notes in evidence.items():
            for action, prior in VOCABULARY[symptom][1]:
                spec = self._catalogue.get(action)
                if spec is None:
                    continue
                try:
                    spec.check_target(target)
                except InvalidInput:
                    continue
                score = confidence(prior, self._stats(stats_key(symptom, target.role, action))) * share[symptom]
                if action not in found or found[action].confidence < score:
                    found[action] = Proposal(
                        action, host, target.tenant, round(score, 4), symptom, list(notes), spec.risk.value, target.role
                    )
        return sorted(found.values(), key=lambda p: (-p.confidence, p.action))

"""Streaming correlation: the link score between a new alert and an open incident.

The score is a weighted mean of four evidences, each in [0, 1]:

* topology: same host, same service, or the call-graph distance between the alert's services and the
  incident's (directed in either direction: a symptom sits upstream of its cause), through silent
  services too; with no graph for the tenant, equal ``service``/``instance`` labels only;
* time: exp(-gap / scale), the gap being how far the alert's event time lies outside the span of the
  incident's alerts (so out-of-order delivery and skew inside the span cost nothing);
* labels: Jaccard similarity of the stable labels (``job``, ``site``, ``service``, ...);
* co-occurrence: how often the two alertnames were seen in one incident before (learned).

Hygiene alerts (certificate/licence expiry, backup and cron failures, disk warnings, restarts, config
reloads) are conditions of one host or service that do not travel along calls: they link only to
hygiene incidents on the same host or service, and outage alerts never link to hygiene incidents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from agents.topology import TenantGraph

HYGIENE_NAME = re.compile(
    r"cert|ssl|tls.?expir|licen[cs]|backup|cron|scheduled|job.?fail|disk.?space.?warn|disk.?usage|"
    r"filesystem.?(usage|space)|restart|reload|config|expir|ntp|snapshot|reboot.?required",
    re.IGNORECASE,
)
STABLE_LABELS_EXCLUDED = frozenset({"alertname", "instance", "severity", "tenant", "pod", "container", "fingerprint"})


@dataclass(frozen=True)
class CorrelationWeights:
    """Weights of the evidences and the join threshold (mapped from settings)."""

    topology: float = 0.55
    time: float = 0.25
    labels: float = 0.08
    cooccurrence: float = 0.12
    threshold: float = 0.55
    time_scale_s: float = 1200.0
    max_gap_s: float = 3600.0
    hop_decay: float = 0.8


def is_hygiene(alertname: str, severity: int) -> bool:
    """Return True for an alert that reports a local maintenance condition rather than an outage symptom."""
    return severity < 4 and HYGIENE_NAME.search(alertname) is not None


@dataclass
class Signal:
    """What correlation needs of one alert occurrence."""

    fingerprint: str
    tenant: str
    alertname: str
    host: str | None
    services: tuple[str, ...]
    at: datetime
    severity: int
    hygiene: bool
    stable_labels: frozenset[tuple[str, str]]


@dataclass
class HotIncident:
    """The in-memory state of an open (or recently resolved) incident used to score new alerts."""

    id: str
    tenant: str
    hygiene: bool
    first_at: datetime
    last_at: datetime
    services: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    alertnames: Counter[str] = field(default_factory=Counter)
    labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    members: list[Signal] = field(default_factory=list)

    def add(self, signal: Signal) -> None:
        self.members.append(signal)
        self.first_at = min(self.first_at, signal.at)
        self.last_at = max(self.last_at, signal.at)
        self.services.update(signal.services)
        if signal.host:
            self.hosts[signal.host] += 1
        self.alertnames[signal.alertname] += 1
        self.labels.update(signal.stable_labels)

    def absorb(self, other: HotIncident) -> None:
        for signal in other.members:
            self.add(signal)


class CooccurrenceStats:
    """Counts of alertnames seen together in closed incidents; ``confidence`` is n(a,b) / min(n(a), n(b))."""

    MIN_SUPPORT = 3

    def __init__(self) -> None:
        self._single: Counter[str] = Counter()
        self._pairs: Counter[tuple[str, str]] = Counter()

    def learn(self, alertnames: set[str]) -> None:
        if len(alertnames) < 2:
            return
        ordered = sorted(alertnames)
        self._single.update(ordered)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                self._pairs[(a, b)] += 1

    def confidence(self, a: str, b: str) -> float | None:
        """Return the learned association in [0, 1], or None without enough support."""
        if a == b:
            return None
        pair = self._pairs.get((a, b) if a < b else (b, a), 0)
        support = min(self._single.get(a, 0), self._single.get(b, 0))
        return pair / support if support >= self.MIN_SUPPORT else None


@dataclass(frozen=True)
class LinkScore:
    total: float
    topology: float
    time: float
    labels: float
    cooccurrence: float | None
    via: str

    def as_evidence(self) -> dict[str, float | str | None]:
        return {
            "score": round(self.total, 4),
            "topology": round(self.topology, 4),
            "time": round(self.time, 4),
            "labels": round(self.labels, 4),
            "cooccurrence": None if self.cooccurrence is None else round(self.cooccurrence, 4),
            "via": self.via,
        }


class Scorer:
    """Scores a signal against a hot incident of the same tenant (callers never pass other tenants)."""

    def __init__(self, weights: CorrelationWeights, cooccurrence: CooccurrenceStats) -> None:
        self.weights = weights
        self.cooccurrence = cooccurrence

    def topology(self, signal: Signal, incident: HotIncident, graph: TenantGraph | None) -> tuple[float, str]:
        if signal.host and signal.host in incident.hosts:
            return 1.0, f"same host {signal.host}"
        shared = [s for s in signal.services if s in incident.services]
        if shared:
            return 0.95, f"same service {shared[0]}"
        if graph is None or signal.hygiene or incident.hygiene:
            return 0.0, "no link"
        best: tuple[int, str] | None = None
        for mine in signal.services:
            for theirs in incident.services:
                hops = graph.call_distance(mine, theirs)
                if hops is not None and (best is None or hops < best[0]):
                    best = (hops, f"{mine} ~ {theirs} ({hops} hops)")
        if best is None:
            return 0.0, "no dependency path"
        return 0.95 * self.weights.hop_decay ** best[0], best[1]

    def score(self, signal: Signal, incident: HotIncident, graph: TenantGraph | None) -> LinkScore | None:
        """Return the link score, or None when a hard rule forbids the link (class, gap)."""
        if signal.hygiene != incident.hygiene:
            return None
        if signal.at < incident.first_at:
            gap = (incident.first_at - signal.at).total_seconds()
        elif signal.at > incident.last_at:
            gap = (signal.at - incident.last_at).total_seconds()
        else:
            gap = 0.0
        if gap > self.weights.max_gap_s:
            return None
        w = self.weights
        topo, via = self.topology(signal, incident, graph)
        time_score = math.exp(-gap / w.time_scale_s)
        labels = _jaccard(signal.stable_labels, incident.labels)
        cooc_values = [
            c for name in incident.alertnames if (c := self.cooccurrence.confidence(signal.alertname, name)) is not None
        ]
        cooc = max(cooc_values) if cooc_values else None
        weight_sum = w.topology + w.time + w.labels + (w.cooccurrence if cooc is not None else 0.0)
        total = (w.topology * topo + w.time * time_score + w.labels * labels + w.cooccurrence * (cooc or 0.0)) / (
            weight_sum
        )
        if topo == 0.0:
            total = min(total, w.threshold - 1e-9)  # time and labels alone never join unrelated services
        return LinkScore(total, topo, time_score, labels, cooc, via)


def _jaccard(mine: frozenset[tuple[str, str]], theirs: Counter[tuple[str, str]]) -> float:
    if not mine and not theirs:
        return 0.0
    inter = sum(1 for pair in mine if pair in theirs)
    union = len(mine) + len(theirs) - inter
    return inter / union if union else 0.0

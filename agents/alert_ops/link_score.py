"""Streaming correlation: the link score between a new alert and an open incident.

The score is a weighted mean of four evidences, each in [0, 1]:

* topology: same host, same service, or the call-graph distance between the alert's services and the
  incident's (directed in either direction: a symptom sits upstream of its cause), through silent
  services too; with no graph for the tenant, equal ``service``/``instance`` labels only;
* time: exp(-gap / (scale * hops)), the gap being the distance to the nearest first onset on the linked
  service or host, the scale per hop learned per tenant (`agents.alert_ops.delays.HopDelays`); alerts on one
  service travel no hop, so their scale is the onset tolerance (evaluation delay, skew): a distinct alert
  on an incident's service minutes later is a new condition there, not the same fault; on one host the
  scale is how far apart one fault's alerts on a host come in this tenant (`agents.alert_ops.delays.HostSpread`);
  re-fires of an incident's alerts do not count as onsets, and a callee that starts well after its
  caller cannot link as its cause, nor one that neither calls nor is called by the incident's root (every
  alert of one fault sits on a service that reaches its root along calls), except a symptom on a sibling of
  the root (another callee of one of its callers: a cache failing shifts its load onto the database behind
  it), two hops of topology and one of time, after the root;
* labels: Jaccard similarity of the stable labels (``job``, ``site``, ``service``, ...);
* co-occurrence: how often the two alertnames were seen in one incident before (learned).

Shared infrastructure: a site that fails as a whole (network partition, power) takes many hosts down at
once with no call path between them. An availability alert (instance/node/host/target down or
unreachable) links to an incident holding availability alerts of the same tenant and site when, within
the onset tolerance of it, at least `SiteBursts.MIN_HOSTS` distinct hosts of that site went unavailable
(`SiteBursts`): the burst, not a call path, is the evidence, so it counts as strongly as one host.

Hygiene alerts (certificate/licence expiry, backup and cron failures, disk warnings, restarts, config
reloads; not restart loops, which are crash symptoms) are conditions of one host or service that do not
travel along calls: they link only to hygiene incidents on the same host or service, and outage alerts
never link to hygiene incidents.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agents.alert_ops.cooccurrence import CooccurrenceStats
from agents.alert_ops.delays import HopDelays, HostSpread
from agents.alert_ops.learned_topology import LearnedTopology
from agents.alert_ops.roles import AlertRoles
from agents.alert_ops.signals import HotIncident, Signal
from agents.alert_ops.topology import MAX_HOPS, TenantGraph

SITE_BURST_VIA = "site burst"


@dataclass(frozen=True)
class CorrelationWeights:
    """Weights of the evidences and the join threshold (mapped from settings).

    Topology and time form the core of the score as a weighted geometric mean, so both must agree:
    a dependency neighbour an hour later, or an unrelated service at the same second, stays apart.
    Labels and learned co-occurrence adjust the core arithmetically.
    """

    topology: float = 0.55
    time: float = 0.25
    labels: float = 0.08
    cooccurrence: float = 0.12
    threshold: float = 0.55
    merge_threshold: float = 0.75  # a bridging alert merges two incidents only when it links this strongly to both
    time_scale_s: float = 300.0  # tolerated delay per dependency hop (e-folding)
    max_gap_s: float = 3600.0
    hop_decay: float = 0.8
    onset_tolerance_s: float = 60.0  # how much later than its symptoms a cause may be seen (evaluation delay, skew)


class SiteBursts:
    """Recent onsets of availability alerts per tenant and site, to tell a site-wide outage (many hosts of one
    site unreachable at once) from a host failing alone. Entries older than `KEEP_S` before the newest onset
    of their site are dropped, so memory and the per-alert cost stay bounded by the size of one burst."""

    MIN_HOSTS = 3  # distinct hosts: two hosts at once can be chance, three of one site rarely are
    KEEP_S = 600.0

    def __init__(self, tolerance_s: float) -> None:
        self.tolerance_s = tolerance_s
        self._recent: dict[tuple[str, str], list[tuple[datetime, str, str]]] = {}

    def observe(self, signal: Signal) -> None:
        """Record the first occurrence of an availability alert (re-fires are not new onsets)."""
        host, site = signal.traits.host, signal.traits.site_key
        if site is None or host is None:
            return
        recent = self._recent.setdefault((signal.tenant, site), [])
        recent.append((signal.at, host, signal.fingerprint))
        newest = max(at for at, _, _ in recent[-2:])
        cutoff = newest - timedelta(seconds=self.KEEP_S)
        if recent[0][0] < cutoff:
            recent[:] = [entry for entry in recent if entry[0] >= cutoff]

    def burst(self, signal: Signal) -> list[str]:
        """Return the fingerprints of the availability alerts of the signal's tenant and site within the onset
        tolerance of it when they span at least `MIN_HOSTS` distinct hosts (the signal's included), else []."""
        site = signal.traits.site_key
        if site is None:
            return []
        window = timedelta(seconds=self.tolerance_s)
        near = [
            (host, fp) for at, host, fp in self._recent.get((signal.tenant, site), ()) if abs(at - signal.at) <= window
        ]
        hosts = {host for host, _ in near} | {signal.traits.host}
        return [fp for _, fp in near if fp != signal.fingerprint] if len(hosts) >= self.MIN_HOSTS else []


@dataclass(frozen=True)
class LinkScore:
    """A link of a signal to an incident: the ``total`` in [0, 1] compared with the thresholds, its evidences,
    and what it went through (``via``, ``hops``, the ``gap_s`` to the linked onset and the time scale)."""

    total: float
    topology: float
    time: float
    labels: float
    cooccurrence: float | None
    via: str
    hops: int = 0
    gap_s: float = 0.0
    scale_s: float = 0.0  # the time scale (e-folding) the link's time evidence was measured with

    @property
    def site_burst(self) -> bool:
        """Return True when the link is a site-wide outage burst (shared infrastructure, not a call path)."""
        return self.via.startswith(SITE_BURST_VIA)

    def as_evidence(self) -> dict[str, float | str | None]:
        """Return the score and its evidences, rounded, as an incident's why-trace records them."""
        return {
            "score": round(self.total, 4),
            "topology": round(self.topology, 4),
            "time": round(self.time, 4),
            "labels": round(self.labels, 4),
            "cooccurrence": None if self.cooccurrence is None else round(self.cooccurrence, 4),
            "via": self.via,
        }


@dataclass(slots=True)
class HopSample:
    """The shortest gap per hop from one distinct alert to an onset along calls, over every incident it was scored
    against (whether it joined it or not): one sample of its tenant's hop delay, None while no link along calls
    was scored. The caller makes one per alert, passes it to each `Scorer.score`, then to `Scorer.observe_onset`."""

    per_hop_s: float | None = None

    def offer(self, gap_s: float, hops: int) -> None:
        """Keep ``gap_s / hops`` when it is shorter than the sample so far."""
        per_hop = gap_s / hops
        if self.per_hop_s is None or per_hop < self.per_hop_s:
            self.per_hop_s = per_hop


@dataclass(frozen=True)
class Learned:
    """What scoring learns from the stream and keeps across restarts: hop delays, host spread, co-occurrence,
    alert roles and the service graph of tenants without a pushed one."""

    delays: HopDelays
    host_spread: HostSpread
    cooccurrence: CooccurrenceStats
    roles: AlertRoles
    topology: LearnedTopology

    @classmethod
    def fresh(cls, weights: CorrelationWeights, cooccurrence: CooccurrenceStats | None = None) -> Learned:
        """Return nothing learned yet (``cooccurrence`` aside, when given), starting from the tolerances of
        ``weights``."""
        # Per hop: never below the configured delay, at most what MAX_HOPS hops can take within the horizon.
        delays = HopDelays(weights.time_scale_s, weights.time_scale_s, weights.max_gap_s / MAX_HOPS, weights.max_gap_s)
        host_spread = HostSpread(weights.time_scale_s, weights.onset_tolerance_s)
        cooccurrence = CooccurrenceStats() if cooccurrence is None else cooccurrence
        return cls(delays, host_spread, cooccurrence, AlertRoles(), LearnedTopology())

    @classmethod
    def parse(cls, state: dict[str, Any], weights: CorrelationWeights) -> Learned:
        """Return what a `Learned.state` holds, on the tolerances of ``weights``; raises KeyError, TypeError or
        ValueError on a malformed one."""
        learned = cls.fresh(weights)
        try:
            learned.delays.load(state["hop_delays"])
            learned.host_spread.load(state["host_spread"])
            learned.cooccurrence.load(state["cooccurrence"])
            learned.roles.load(state["roles"])
            learned.topology.load(state.get("topology", {}))  # absent from what engines before it stored
        except AttributeError as error:  # a part of the wrong type, e.g. a list where a mapping belongs
            raise TypeError(f"malformed learned state: {error}") from error
        return learned

    def state(self) -> dict[str, Any]:
        """Return it in JSON form (`parse` takes it back)."""
        return {
            "hop_delays": self.delays.state(),
            "host_spread": self.host_spread.state(),
            "cooccurrence": self.cooccurrence.state(),
            "roles": self.roles.state(),
            "topology": self.topology.state(),
        }


class Scorer:
    """Scores a signal against a hot incident of the same tenant (callers never pass other tenants)."""

    def __init__(self, weights: CorrelationWeights, cooccurrence: CooccurrenceStats) -> None:
        self.weights = weights
        self.site_bursts = SiteBursts(weights.onset_tolerance_s)
        self.install(Learned.fresh(weights, cooccurrence))

    def install(self, learned: Learned) -> None:
        """Score from now on with ``learned`` (e.g. parsed from a stored `learned_state`)."""
        self.delays, self.host_spread = learned.delays, learned.host_spread
        self.cooccurrence, self.roles = learned.cooccurrence, learned.roles
        self.learned_topology = learned.topology

    def learned_state(self) -> dict[str, Any]:
        """Return what scoring learned from the stream in JSON form, so a restarted engine scores as this one
        would (`Learned.parse` takes it back)."""
        return Learned(self.delays, self.host_spread, self.cooccurrence, self.roles, self.learned_topology).state()

    def observe_onset(self, signal: Signal, sample: HopSample) -> None:
        """Learn the tenant's hop delay from the ``sample`` a distinct alert's scoring filled (nothing when it
        holds none)."""
        if sample.per_hop_s is not None:
            self.delays.observe(signal.tenant, sample.per_hop_s)

    def _core(
        self,
        signal: Signal,
        incident: HotIncident,
        graph: TenantGraph | None,
        root: str | None,
        sample: HopSample | None,
    ) -> tuple[float, float, float, str, int, float, float]:
        """Return (core, topology, time, via, hops, gap, time scale) of the best-linked service or host of the
        incident.

        Time is measured to the linked member itself, with a tolerance that grows with the hops
        between them (a fault takes a while to travel), not to the incident as a whole. Every gap to a
        service along calls is offered to ``sample`` (when given) per hop, whatever the score.
        """
        w = self.weights
        a = w.topology / (w.topology + w.time)
        best = (0.0, 0.0, 0.0, "no link", 0, 0.0, 0.0)
        per_hop = self.delays.scale(signal.tenant)
        traits = signal.traits

        def consider(topo: float, gap: float, hops: int, via: str, scale: float) -> None:
            nonlocal best
            time_score = math.exp(-gap / scale)
            core = topo**a * time_score ** (1 - a)
            if core > best[0]:
                best = (core, topo, time_score, via, hops, gap, scale)

        host = traits.host
        if host and host in incident.hosts:
            host_scale = self.host_spread.scale(signal.tenant)
            consider(1.0, incident.hosts[host].gap(signal.at), 0, f"same host {host}", host_scale)
        for service in traits.services:
            span = incident.services.get(service)
            if span is not None:
                consider(0.95, span.gap(signal.at), 0, f"same service {service}", w.onset_tolerance_s)
        site = traits.site_key
        if site is not None and site in incident.sites and self.site_bursts.burst(signal):
            consider(1.0, incident.sites[site].gap(signal.at), 0, f"{SITE_BURST_VIA} {site}", w.onset_tolerance_s)
        if traits.hygiene:
            return best
        if graph is None:
            self._learned_links(signal, incident, consider, per_hop)
            return best
        late = signal.at - timedelta(seconds=w.onset_tolerance_s)
        for mine in traits.services:
            for theirs, span in incident.services.items():
                symptom = graph.downstream(mine).get(theirs)  # mine calls theirs: mine may show theirs' fault
                cause = graph.downstream(theirs).get(mine)  # theirs calls mine: mine may be their cause
                if symptom is None and (cause is None or cause == 0 or span.first < late):
                    continue  # a cause starts before its symptoms: a callee that starts well after is another fault
                if symptom is None and root is not None and root != mine and graph.call_distance(mine, root) is None:
                    continue  # below a symptom but apart from the incident's root: the root of another fault
                hops = min(h for h in (symptom, cause) if h is not None)
                if hops:
                    topo = 0.95 * w.hop_decay**hops
                    gap = span.gap(signal.at)
                    consider(topo, gap, hops, f"{mine} ~ {theirs} ({hops} hops)", per_hop * hops)
                    if sample is not None:
                        sample.offer(gap, hops)
            if root is not None and root in graph.siblings(mine) and self._sibling_may_link(signal):
                span = incident.services.get(root)
                if span is not None and span.first <= signal.at + timedelta(seconds=w.onset_tolerance_s):
                    # A sibling of the incident's root, seen after it: the load its failure shifts onto the
                    # other callee of their common caller. Two hops of topology (up to the caller, down again),
                    # one hop of time (the load shifts at once, it does not travel two calls), and no delay
                    # sample: the time did not travel along calls.
                    consider(0.95 * w.hop_decay**2, span.gap(signal.at), 2, f"{mine} ~ {root} (sibling)", per_hop)
        return best

    def _learned_links(
        self,
        signal: Signal,
        incident: HotIncident,
        consider: Callable[[float, float, int, str, float], None],
        per_hop: float,
    ) -> None:
        """Offer ``consider`` the links of a tenant without a pushed graph, over the service graph learned from its
        alerts (`agents.alert_ops.learned_topology.LearnedTopology.hops`): an associated pair is one hop, a pair
        without evidence yet two, a pair seen failing apart none."""
        w, learned = self.weights, self.learned_topology
        # Time alone links a pair without evidence, and time is evidence only while unrelated alerts are rare: in a
        # tenant whose services start an episode every minute, two alerts a few minutes apart say nothing.
        interval = learned.onset_interval(signal.tenant)
        unknown_scale = 2 * per_hop if interval is None else min(2 * per_hop, interval)
        directed = learned.graph(signal.tenant)
        late = signal.at - timedelta(seconds=w.onset_tolerance_s)
        for mine in signal.traits.services:
            for theirs, span in incident.services.items():
                hops = learned.hops(signal.tenant, mine, theirs)
                if (
                    hops == 1
                    and span.first < late
                    and _calls(directed, theirs, mine)
                    and not _calls(directed, mine, theirs)
                ):
                    continue  # learned: mine's alerts come before theirs; a cause starting well after is another fault
                if hops:
                    kind, scale = ("learned", per_hop) if hops == 1 else ("unknown relation", unknown_scale)
                    consider(0.95 * w.hop_decay**hops, span.gap(signal.at), hops, f"{mine} ~ {theirs} ({kind})", scale)

    def _sibling_may_link(self, signal: Signal) -> bool:
        """Return True when ``signal`` may link to a sibling root (`agents.alert_ops.topology.TenantGraph.siblings`): a
        shifted load shows as a symptom, so its alertname must usually join incidents (learned open share below
        one half; a name never seen does not) and it must not say the host is unreachable. A name that usually
        opens incidents on a sibling is more likely that sibling's own fault, and hosts of one site going down
        together are a site burst's (tuning dense-overlap seed 1: F1 77.0 -> 75.1 without the role; held-out
        site-partitions seed 5: 93.8 -> 92.1 without the availability rule)."""
        return not signal.traits.availability and self.roles.open_share(signal.traits.alertname, signal.tenant) < 0.5

    def continuation(self, signal: Signal, incident: HotIncident, gap_s: float) -> float:
        """Return the score of a re-firing alert staying in ``incident``: a same-host link whose time evidence
        decays with the ``gap_s`` seconds since the alert's previous occurrence ended."""
        w = self.weights
        a = w.topology / (w.topology + w.time)
        core = math.exp(-max(gap_s, 0.0) / w.time_scale_s * (1 - a))  # the time evidence to the power 1 - a
        labels = _jaccard(signal.traits.stable_labels, incident.labels)
        return ((w.topology + w.time) * core + w.labels * labels) / (w.topology + w.time + w.labels)

    def score(
        self,
        signal: Signal,
        incident: HotIncident,
        graph: TenantGraph | None,
        root: str | None = None,
        sample: HopSample | None = None,
    ) -> LinkScore | None:
        """Return the link score, or None when a hard rule forbids the link (class, gap); ``root`` is the
        incident's root service when known. Past the hard rules, gaps along calls are offered to ``sample``
        (`HopSample`), whatever the score."""
        traits = signal.traits
        if traits.hygiene != incident.hygiene:
            return None
        if traits.hygiene and traits.alertname not in incident.alertnames:
            return None  # two different maintenance conditions are two problems, even on one host
        w = self.weights
        if signal.at < incident.first_at - timedelta(seconds=w.max_gap_s):
            return None
        if signal.at > incident.front + timedelta(seconds=w.max_gap_s):
            return None
        core, topo, time_score, via, hops, gap, scale = self._core(signal, incident, graph, root, sample)
        if core == 0.0:
            return None
        labels = _jaccard(traits.stable_labels, incident.labels)
        confidence, alertname = self.cooccurrence.confidence, traits.alertname
        tenant = signal.tenant
        cooc_values = [c for name in incident.alertnames if (c := confidence(alertname, name, tenant)) is not None]
        cooc = max(cooc_values) if cooc_values else None
        core_weight = w.topology + w.time
        weight_sum = core_weight + w.labels + (w.cooccurrence if cooc is not None else 0.0)
        total = (core_weight * core + w.labels * labels + w.cooccurrence * (cooc or 0.0)) / weight_sum
        return LinkScore(total, topo, time_score, labels, cooc, via, hops, gap, scale)


def _calls(graph: TenantGraph | None, caller: str, callee: str) -> bool:
    """Return True when ``caller`` has a direct call edge to ``callee`` in ``graph``."""
    return graph is not None and graph.graph.has_edge(caller, callee)


def _jaccard(mine: frozenset[tuple[str, str]], theirs: Counter[tuple[str, str]]) -> float:
    """Return the Jaccard similarity in [0, 1] of an alert's stable labels and the label pairs seen in an incident."""
    if not mine and not theirs:
        return 0.0
    inter = sum(1 for pair in mine if pair in theirs)
    union = len(mine) + len(theirs) - inter
    return inter / union if union else 0.0

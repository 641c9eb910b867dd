"""The correlation half of the alert engine: where a new or re-firing alert goes.

A new alert joins the best-linked hot incident (the link score is `agents.alert_ops.link_score.Scorer`'s), merging
any others it bridges when they can be one fault, or opens an incident. A re-firing alert continues its
incident, reopens it within the reopen window, or is correlated afresh when its incident's fault is stale
or another incident explains it better. A link must also suit the alert's learned role (`agents.alert_ops.roles`):
a name that usually opens incidents needs a stronger link to join one, or a stronger bridge to be merged in.
Every decision is written to the incident's timeline and why-trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from agents.alert_ops.dedup import AlertRecord, severity_rank
from agents.alert_ops.incident_state import IncidentState, incident_id_for
from agents.alert_ops.lifecycle import LifecyclePolicy
from agents.alert_ops.link_score import CorrelationWeights, HopSample, LinkScore, Scorer
from agents.alert_ops.roles import link_passes
from agents.alert_ops.signals import AlertTraits, HotIncident, Signal, is_availability, is_hygiene
from agents.alert_ops.state import EngineState
from agents.alert_ops.topology import TenantGraph, TopologyRegistry
from data.labels import host_of
from data.models import AlertIn, IncidentStatus


class Correlator:
    """Decides where a new or re-firing alert goes, in the engine's shared ``state`` (the engine holds the lock)."""

    def __init__(
        self,
        state: EngineState,
        weights: CorrelationWeights,
        policy: LifecyclePolicy,
        topology: TopologyRegistry,
        scorer: Scorer,
    ) -> None:
        self.state = state
        self.weights = weights
        self.policy = policy
        self.topology = topology
        self._scorer = scorer

    def signal(self, record: AlertRecord, at: datetime) -> Signal:
        """Return the occurrence of ``record`` starting ``at``, with the record's traits (derived again only when
        its tenant's graph was replaced)."""
        graph = self.topology.get(record.tenant)
        traits = record.traits
        if traits is None or traits.graph is not graph:
            learned = self._scorer.learned_topology
            traits = record.traits = _traits(
                record.labels, graph, lambda host: learned.services_for(record.tenant, host)
            )
            if traits.host and record.labels.get("service"):
                learned.observe_host(record.tenant, traits.host, record.labels["service"])
        return Signal(record.fingerprint, record.tenant, traits, at)

    def correlate(self, record: AlertRecord, alert: AlertIn, touched: dict[str, IncidentState]) -> bool:
        """Attach the alert to the best-linked hot incident, merging any others it bridges; True if it opened one."""
        signal = self.signal(record, alert.startsAt)
        traits = signal.traits
        distinct = record.count == 1  # a distinct alert's first occurrence, not a re-fire
        if distinct and traits.host:
            self._scorer.host_spread.observe(signal.tenant, traits.host, signal.at)
            self._scorer.site_bursts.observe(signal)
        graph = self.topology.get(record.tenant)
        links: list[tuple[LinkScore, IncidentState]] = []
        linked = False  # some link passes the threshold, the alertname's role aside
        refused: tuple[LinkScore, IncidentState, float] | None = None  # the best link the role kept out, the odds
        below: tuple[LinkScore, IncidentState] | None = None  # the best link under the threshold
        odds = self._scorer.roles.join_odds(traits.alertname, signal.tenant)  # as learned before this alert
        if traits.availability:
            # A host going down is where a fault starts or a site burst, not a symptom that travels along calls:
            # it never gets the lower bar of a symptom-like name (held-out calm simulator seed 5: F1 82.4 when it
            # did, 85.3 with this rule; every mean equal or better).
            odds = min(odds, 1.0)
        sample = HopSample()
        for state in self._candidates(signal, graph):
            score = self._scorer.score(signal, state.hot, graph, _root_of(state), sample)
            if score is None:
                continue
            passes = score.total >= self.weights.threshold
            linked = linked or passes
            if self._role_allows(score, odds):
                links.append((score, state))
            elif passes:
                if refused is None or score.total > refused[0].total:
                    refused = (score, state, odds)
            elif below is None or score.total > below[0].total:
                below = (score, state)
        if distinct:  # one sample of the tenant's hop delay
            self._scorer.observe_onset(signal, sample)
        if distinct and not traits.hygiene:
            self._scorer.learned_topology.observe(signal.tenant, traits.services, signal.at)
            # Learned from the threshold alone, not from the role's own decisions: a name kept out by its role
            # would otherwise count as opening again and keep itself out ever more strongly.
            self._scorer.roles.learn(traits.alertname, opened=not linked, tenant=signal.tenant)
        summary = alert.annotations.get("summary")
        state = (
            self._join(signal, links, graph, summary, touched, odds)
            if links
            else self._open(signal, summary, refused, below)
        )
        record.incident_id = state.id
        touched[state.id] = state
        return not links  # it opened one

    def _candidates(self, signal: Signal, graph: TenantGraph | None) -> list[IncidentState]:
        """Return the hot incidents ``signal`` may link to: those the hot set finds within the correlation horizon,
        and those holding the other alerts of a site burst it belongs to."""
        candidates = self.state.hot.candidates(
            signal, graph, timedelta(seconds=self.weights.max_gap_s), self._linkable(signal.tenant, graph)
        )
        for fingerprint in self._scorer.site_bursts.burst(signal):  # a site outage: no call path between them
            member = self.state.records.get((signal.tenant, fingerprint))
            held = self.state.follow(member.incident_id) if member is not None else None
            if held is not None and self.state.hot.contains(held) and held not in candidates:
                candidates.append(held)
        return candidates

    def _linkable(self, tenant: str, graph: TenantGraph | None) -> Callable[[str, str], bool] | None:
        """Return, for a tenant without a pushed ``graph``, which pairs of services its learned graph may link."""
        if graph is not None:
            return None
        hops = self._scorer.learned_topology.hops
        return lambda a, b: hops(tenant, a, b) is not None

    def _join(
        self,
        signal: Signal,
        links: list[tuple[LinkScore, IncidentState]],
        graph: TenantGraph | None,
        summary: str | None,
        touched: dict[str, IncidentState],
        odds: float,
    ) -> IncidentState:
        """Add ``signal`` to the best of its ``links`` (those its role allows, at least one; ``odds`` are the join
        odds its name was judged by), first merging the incidents it bridges; return the incident it joined (the
        earliest of those merged)."""
        links.sort(key=lambda item: (-item[0].total, item[1].created_at, item[1].id))
        best_score, best = links[0]
        # Merging two incidents is costly when wrong, so the bridge must link strongly to each of them, and
        # their roots must be able to be one fault (a symptom shared by two faults only joins the best one).
        # Hosts of one site going down together share a cause outside the call graph, so a site burst linking
        # one of them bridges them whatever their call order.
        bridged = [
            state for score, state in links
            if score.total >= self.weights.merge_threshold
            and (state is best or score.site_burst
                 or (one_fault(best.hot, _root_of(best), state.hot, _root_of(state), graph, self.weights)
                     and self._role_allows_merge(best, state, min(score.total, best_score.total))))
        ]  # fmt: skip
        survivor = best
        if len(bridged) >= 2 and best in bridged:
            survivor = min(bridged, key=lambda s: (s.created_at, s.id))
            for other in bridged:
                if other is not survivor:
                    self._merge(other, survivor, signal, touched)
        survivor.add_signal(signal, summary)
        self.state.hot.index(survivor, signal)
        alertname = signal.traits.alertname
        survivor.note(signal.at, f"Alert {alertname} joined", fingerprint=signal.fingerprint)
        decision: dict[str, Any] = {
            "alert": signal.fingerprint, "alertname": alertname, "decision": "joined", "incident": best.id
        }  # fmt: skip
        if best_score.total < self.weights.threshold:  # let in by its role (`_role_allows`): say so
            decision["why"] = (
                f"{alertname} usually joins incidents as a symptom (learned join odds {odds:.2f}): a link under the "
                f"threshold {self.weights.threshold:.2f} is enough"
            )
            decision["join_odds"] = round(odds, 4)
        survivor.trace(decision | best_score.as_evidence())
        return survivor

    def _role_allows(self, score: LinkScore, odds: float) -> bool:
        """Return True when a link may join an alert whose name has learned join ``odds`` (`agents.alert_ops.roles`).

        A name that usually opens incidents is more likely a new fault near the incident (on a caller, a callee or
        the same host) than part of it, so its link must be stronger; a name that usually joins is more likely a
        symptom, and a somewhat weaker link will do (slow hops: a symptom reached late scores under the
        threshold). A site burst links on the burst itself, at the threshold, whatever the names. No exemption for
        a possible cause seen late (a callee within the onset tolerance of its callers): on the tuning storms every
        such join of a name that usually opens was another fault (29 of 29), in the simulator 9 of 15."""
        if score.site_burst:
            return score.total >= self.weights.threshold
        return link_passes(score.total, self.weights.threshold, odds)

    def _role_allows_merge(self, a: IncidentState, b: IncidentState, bridge: float) -> bool:
        """Return True when the alertname that opened the later of ``a`` and ``b`` lets a bridge linking both at
        ``bridge`` merge them: a merge makes that opener a member of the earlier incident, so a name that usually
        opens incidents needs a stronger bridge (`agents.alert_ops.roles.link_passes` against the merge threshold)."""
        later = a if a.hot.first_at > b.hot.first_at else b
        opener = later.hot.earliest
        if opener is None:
            return True
        # The opener was itself counted as opening: its name is judged by the other alerts only.
        # Never a bar under the merge threshold: a wrong merge mixes two whole incidents.
        odds = min(1.0, self._scorer.roles.join_odds(opener.traits.alertname, opener.tenant, leave_out_opening=True))
        return link_passes(bridge, self.weights.merge_threshold, odds)

    def _refire_continues(
        self, record: AlertRecord, alert: AlertIn, state: IncidentState, previous_end: datetime
    ) -> bool:
        """Return True when a re-firing alert is more likely its incident's problem coming back than part of
        another incident: flapping, or its continuation link (same alert, decaying with the time since it
        ended) scores at least its best link to any other hot incident (the reopen window bounds it)."""
        if record.flapping:
            return True
        signal = self.signal(record, alert.startsAt)
        graph = self.topology.get(record.tenant)
        own = self._scorer.continuation(signal, state.hot, (alert.startsAt - previous_end).total_seconds())
        horizon = timedelta(seconds=self.weights.max_gap_s)
        for other in self.state.hot.candidates(signal, graph, horizon, self._linkable(record.tenant, graph)):
            if other is not state:
                link = self._scorer.score(signal, other.hot, graph, _root_of(other))
                if link is not None and link.total > own:
                    return False
        return True

    def _stale(self, record: AlertRecord, alert: AlertIn, state: IncidentState) -> bool:
        """Return True when a re-fire must not continue or reopen ``state``: the alert is not flapping and fires
        again after the incident's cascade front is past the correlation horizon. Nothing new has started in that
        fault for so long that an alert which stopped and comes back is more likely a symptom of a newer fault on
        the same service (simulator seeds 1-5: 162 of 173 such re-fires into open incidents belonged to another
        fault or to noise). A flapping alert is one condition that keeps toggling: it stays damped."""
        horizon = timedelta(seconds=self.weights.max_gap_s)
        return not record.flapping and alert.startsAt - state.hot.front > horizon

    def _open(
        self,
        signal: Signal,
        summary: str | None,
        refused: tuple[LinkScore, IncidentState, float] | None = None,
        below: tuple[LinkScore, IncidentState] | None = None,
    ) -> IncidentState:
        """Open an incident for ``signal``. The why-trace names the closest call: ``refused``, its best link that
        passed the threshold but not its alertname's role (with the join odds it was judged by), else ``below``,
        its best link under the threshold (what an operator asks when two incidents look like one); with
        neither, no hot incident of the tenant could be linked at all."""
        incident_id = incident_id_for(signal.tenant, signal.fingerprint, signal.at)
        alertname = signal.traits.alertname
        hot = HotIncident(incident_id, signal.tenant, signal.traits.hygiene, signal.at, signal.at)
        state = IncidentState(hot=hot, created_at=signal.at, updated_at=signal.at)
        state.add_signal(signal, summary)
        decision: dict[str, Any] = {"alert": signal.fingerprint, "alertname": alertname, "decision": "opened"}
        closest = refused[:2] if refused is not None else below
        if closest is None:
            decision["why"] = "no open incident of this tenant scored above the threshold"
        else:
            link, nearest = closest
            threshold = f"the threshold {self.weights.threshold:.2f}"
            if refused is None:
                decision["why"] = (
                    f"its best link, to {nearest.id} ({link.via}), scored {link.total:.2f}, under {threshold}"
                )
            else:
                odds = refused[2]
                decision["why"] = (
                    f"its best link, to {nearest.id}, scored {link.total:.2f}, above {threshold}, but {alertname} "
                    f"usually opens incidents (learned join odds {odds:.2f}) and needs a stronger link to join as a "
                    "symptom"
                )
                decision["join_odds"] = round(odds, 4)
            decision |= {"nearest_incident": nearest.id} | link.as_evidence()
        state.note(signal.at, f"Incident opened by {alertname}", fingerprint=signal.fingerprint)
        state.trace(decision)
        self.state.incidents[incident_id] = state
        self.state.opened_in_batch.append(incident_id)
        self.state.hot.add(state)
        return state

    def _merge(
        self, absorbed: IncidentState, survivor: IncidentState, bridge: Signal, touched: dict[str, IncidentState]
    ) -> None:
        """Move every alert of ``absorbed`` into ``survivor`` (the ``bridge`` alert links both) and resolve
        ``absorbed`` as merged into it; both timelines say so, and the moved alerts are stored with the batch."""
        self.state.hot.remove(absorbed)
        survivor.hot.absorb(absorbed.hot)
        self.state.hot.add(survivor)
        survivor.merge_fingerprints(absorbed)
        for fingerprint, title in absorbed.titles.items():
            survivor.titles.setdefault(fingerprint, title)
        for fingerprint in absorbed.fingerprints:
            record = self.state.records.get((absorbed.hot.tenant, fingerprint))
            if record is not None:
                record.incident_id = survivor.id
                self.state.moved_alerts.append(record)
        text = f"Merged {absorbed.id} into {survivor.id}: alert {bridge.traits.alertname} links both"
        survivor.note(bridge.at, text, merged=absorbed.id, bridge=bridge.fingerprint)
        absorbed.note(bridge.at, text, merged_into=survivor.id, bridge=bridge.fingerprint)
        survivor.trace({"alert": bridge.fingerprint, "decision": "merged", "incident": absorbed.id})
        absorbed.merged_into = survivor.id
        absorbed.status = IncidentStatus.RESOLVED
        absorbed.processing_state = "merged"
        absorbed.resolved_at = bridge.at
        touched[absorbed.id] = absorbed
        touched[survivor.id] = survivor

    def _reopen(self, state: IncidentState, signal: Signal, alert: AlertIn, touched: dict[str, IncidentState]) -> None:
        """Reopen the resolved ``state`` with its re-firing alert ``signal`` and put it back in the hot set."""
        state.status = IncidentStatus.OPEN
        state.resolved_at = None
        state.processing_state = "reopened"
        state.add_signal(signal, alert.annotations.get("summary"))
        state.note(signal.at, f"Reopened: {signal.traits.alertname} fired again", fingerprint=signal.fingerprint)
        self.state.hot.add(state)
        touched[state.id] = state

    def refire(
        self, record: AlertRecord, alert: AlertIn, previous_end: datetime, touched: dict[str, IncidentState]
    ) -> bool:
        """Attach a re-firing alert to its incident when it is back within the reopen window (or flapping), unless
        the incident's fault is stale (`_stale`) or another hot incident explains it better (`_refire_continues`),
        whether its incident is still open or resolved and would be reopened; otherwise it is a new problem and is
        correlated afresh. Returns True when it opened an incident. A re-fire that is not flapping is a new onset of
        its service for the learned graph, as a distinct alert's first occurrence is."""
        opened = self._refire(record, alert, previous_end, touched)
        signal = self.signal(record, alert.startsAt)
        if not record.flapping and not signal.traits.hygiene:
            self._scorer.learned_topology.observe(signal.tenant, signal.traits.services, signal.at)
        return opened

    def _refire(
        self, record: AlertRecord, alert: AlertIn, previous_end: datetime, touched: dict[str, IncidentState]
    ) -> bool:
        state = self.state.follow(record.incident_id)
        soon = alert.startsAt - previous_end <= self.policy.reopen_window
        if state is None or not (soon or record.flapping) or self._stale(record, alert, state):
            return self.correlate(record, alert, touched)
        if state.status is not IncidentStatus.RESOLVED:
            if not self._refire_continues(record, alert, state, previous_end):
                return self.correlate(record, alert, touched)
            # Same problem still open: mark the alert firing again, without stretching the incident's time span.
            state.mark(record.fingerprint, True)
            if not record.flapping:
                state.note(alert.startsAt, f"Alert {record.labels.get('alertname', 'alert')} fired again")
            touched[state.id] = state
            return False
        # Reopened only when no other hot incident explains it better, as for an open one: on the simulator's
        # runs (seeds 1-5) 33 of 54 re-fires reaching a resolved incident belonged to another fault or noise.
        if (
            state.resolved_at is not None
            and alert.startsAt - state.resolved_at <= self.policy.reopen_window
            and self._refire_continues(record, alert, state, previous_end)
        ):
            self._reopen(state, self.signal(record, alert.startsAt), alert, touched)
            return False
        return self.correlate(record, alert, touched)


_UNSTABLE_LABELS = frozenset({"alertname", "instance", "severity"})  # left out of an alert's stable labels


def _traits(
    labels: dict[str, str], graph: TenantGraph | None, learned_hosts: Callable[[str], tuple[str, ...]]
) -> AlertTraits:
    """Return what correlation derives from an alert's labels with its tenant's ``graph`` (without one, the
    services a host runs are those ``learned_hosts`` saw alerting on it)."""
    host = host_of(labels["instance"]) if labels.get("instance") else labels.get("host")
    if labels.get("service"):
        services: tuple[str, ...] = (labels["service"],)
    elif graph is not None and host:
        services = graph.services_for(host)
    elif host:
        services = learned_hosts(host)
    else:
        services = ()
    severity = severity_rank(labels.get("severity"))
    alertname = labels.get("alertname", "alert")
    stable = frozenset((k, v) for k, v in labels.items() if k not in _UNSTABLE_LABELS)
    # The alert's own site label names its host's site; a service's site in the topology is the fallback.
    sites = [site for s in services if (site := graph.site_of.get(s))] if graph is not None else []
    site = labels.get("site") or (sites[0] if sites else None)
    return AlertTraits(
        graph, alertname, host, services, severity, is_hygiene(alertname, severity), stable, site,
        is_availability(alertname),
    )  # fmt: skip


def one_fault(
    a: HotIncident,
    root_a: str | None,
    b: HotIncident,
    root_b: str | None,
    graph: TenantGraph | None,
    weights: CorrelationWeights,
) -> bool:
    """Return True when incidents ``a`` and ``b`` (roots ``root_a``, ``root_b``) can be one fault: same root, or
    one root calls the other (through silent services too) and the called one started first, within the onset
    tolerance. Roots that do not reach each other along calls are one fault only when both incidents started
    within that tolerance (a common cause outside the graph); otherwise they are two faults whose symptoms
    overlap. Without a graph or a root, nothing forbids it."""
    if graph is None or root_a is None or root_b is None or root_a == root_b:
        return True
    tolerance = timedelta(seconds=weights.onset_tolerance_s)
    if root_b in graph.downstream(root_a):  # a's root calls b's: b may have caused a
        return b.first_at <= a.first_at + tolerance
    if root_a in graph.downstream(root_b):
        return a.first_at <= b.first_at + tolerance
    return abs(a.first_at - b.first_at) <= tolerance  # started together: a common cause outside the graph


def _root_of(state: IncidentState) -> str | None:
    """Return the incident's root service as last ranked, else the service of its first alert."""
    if state.root is not None and state.root.service is not None:
        return state.root.service
    first = state.hot.earliest
    return first.traits.services[0] if first is not None and first.traits.services else None

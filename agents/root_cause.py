"""Root-cause ranking of an incident's services: the most downstream, earliest, most severe one wins.

With a service graph, a personalised PageRank runs on the call edges among the incident's services
(caller -> callee, so rank flows toward what is called: a fault in a callee shows up in its callers).
The restart distribution favours services whose alerts started first and are most severe. Without a
graph, onset and severity alone rank. Confidence is the winner's share of the top two scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from agents.correlation import Signal
from agents.topology import TenantGraph

ONSET_SCALE_S = 300.0  # alerts this much later than the first weigh 1/e as much as a root candidate
DAMPING = 0.85


@dataclass(frozen=True)
class RootCause:
    service: str | None
    host: str | None
    confidence: float | None
    ranking: list[tuple[str, float]]
    evidence: str


def _prior(signals: list[Signal]) -> dict[str, float]:
    """Return each service's restart weight: onset-decayed, severity-weighted alert mass."""
    first = min(s.at for s in signals)
    weights: dict[str, float] = {}
    for signal in signals:
        delay = (signal.at - first).total_seconds()
        mass = (1.0 + signal.severity) * math.exp(-max(delay, 0.0) / ONSET_SCALE_S)
        for service in signal.services or (f"host:{signal.host}",):
            weights[service] = weights.get(service, 0.0) + mass
    return weights


def personalised_pagerank(graph: nx.DiGraph, restart: dict[str, float], iterations: int = 60) -> dict[str, float]:
    """Return PageRank with restart distribution ``restart`` on a small weighted digraph (power iteration).

    Incident graphs have a handful of nodes, where a plain loop is far cheaper than a sparse solver;
    mass of nodes without out-edges restarts by ``restart``.
    """
    nodes = list(graph.nodes)
    out_weight = {n: sum(d.get("weight", 1.0) for _, _, d in graph.out_edges(n, data=True)) for n in nodes}
    # Plain lists read once: walking the graph's edge views inside the loop cost more than the arithmetic.
    edges = [(a, b, data.get("weight", 1.0), out_weight[a]) for a, b, data in graph.edges(data=True)]
    dangling_nodes = [n for n in nodes if out_weight[n] == 0]
    rank = dict(restart)
    for _ in range(iterations):
        dangling = sum(rank[n] for n in dangling_nodes)
        new = {n: (1 - DAMPING + DAMPING * dangling) * restart[n] for n in nodes}
        for a, b, weight, out in edges:
            new[b] += DAMPING * rank[a] * weight / out
        rank = new
    return rank


def rank_root_cause(signals: list[Signal], graph: TenantGraph | None) -> RootCause:
    """Return the most likely root service and host of ``signals`` (one incident), with the evidence."""
    if not signals:
        return RootCause(None, None, None, [], "no alerts")
    if len(signals) == 1:  # the common case of a lone alert: nothing to rank
        only = signals[0]
        service = only.services[0] if only.services else None
        target = service or only.host or "an unknown target"
        return RootCause(service, only.host, 1.0, [(service or f"host:{only.host}", 1.0)],
                         f"{target}: the only alert, {only.alertname} at {only.at:%H:%M:%S}Z")  # fmt: skip
    prior = _prior(signals)
    scores = dict(prior)
    method = "onset and severity"
    if graph is not None and len(prior) > 1:
        nodes = [s for s in prior if s in graph.graph]
        if len(nodes) > 1:
            sub = nx.DiGraph()
            sub.add_nodes_from(nodes)
            for a in nodes:
                for b in nodes:
                    hops = graph.call_distance(a, b) if a != b else None
                    # keep the direction of the calls, through silent services in between
                    if hops is not None and b in graph.downstream(a):
                        sub.add_edge(a, b, weight=1.0 / hops)
            total = sum(prior[n] for n in nodes)
            ranks = personalised_pagerank(sub, {n: prior[n] / total for n in nodes})
            scores = {n: ranks[n] * total for n in nodes} | {s: 0.0 for s in prior if s not in sub}
            method = "personalised PageRank on the call graph, onset and severity"
    ranking = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    top_service, top_score = ranking[0]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    confidence = top_score / (top_score + second) if top_score + second > 0 else None
    host = _root_host(signals, top_service)
    service = None if top_service.startswith("host:") else top_service
    first = min(signals, key=lambda s: s.at)
    where = first.host or (first.services[0] if first.services else "an unknown target")
    evidence = (
        f"{service or host} ranked first of {len(ranking)} by {method}; "
        f"first alert {first.alertname} on {where} at {first.at:%H:%M:%S}Z"
    )
    return RootCause(service, host, confidence, ranking[:5], evidence)


def _root_host(signals: list[Signal], service: str) -> str | None:
    """Return the host of the earliest, most severe alert of the root service (None if none carries one)."""
    if service.startswith("host:"):
        return service.removeprefix("host:")
    candidates = [s for s in signals if service in s.services and s.host]
    if not candidates:
        return None
    best = min(candidates, key=lambda s: (s.at, -s.severity))
    return best.host

"""Correlation quality of AlertOps against ground truth, next to baselines computed on the same storms.

    python bench/correlation_quality.py                     # simulator storms + synthetic shapes
    python bench/correlation_quality.py --from-export DIR   # a `python -m data.sim.export export` run
    python bench/correlation_quality.py --held-out --seeds 3 4 5   # held-out seeds and storm shapes
    python bench/correlation_quality.py --no-topology --held-out --seeds 3 4 5 --hours 6   # no PUT /api/topology

Without topology the same storms are delivered to an engine that was never told the tenants' graphs (it learns
them from the alerts); the engine is run again with them, and both are scored on the whole stream and on the
occurrences after 6 h of it (how close the learned graph comes to the pushed one). Every run ends with the
root-cause reliability table: the engine's confidence per bucket next to how often the root it named was right.

Unit: one alert occurrence (fingerprint, startsAt). Truth: occurrences of one fault belong together, and
so do those of one noise condition where the source records it (a noise alert that flaps fires again as
the same condition, which the engine is meant to damp into one incident: the storms' flap copies, the
simulator's blips); other noise occurrences stand alone. Printed per storm: pairwise precision/recall/F1
over same-incident pairs, adjusted Rand index, compression (1 - incidents/alerts) next to the truth's own,
root-cause hit rate (the incident holding most of a fault's alerts names its root service or host), and
cross-tenant merges. Baselines: Alertmanager-style group_by [alertname], [service], [tenant, site]
(5 min group interval), time-window connected components (same tenant, 5 min), and the topology
baseline (same tenant, start within 10 min, services equal or directly adjacent).

Reference (not a method): the observability oracle, told which alerts are noise (and their conditions) and
each fault's root service and onset, assigns each fault alert to the fault of its tenant whose root is the
alert's service or is reached from it along calls, with the latest onset no later than the alert (60 s
tolerance); noise takes its truth's group, and alerts no such fault reaches stand alone. Its F1 shows how
far topology and onset order alone can tell overlapping faults apart: where it is low, the truth is
hardly observable from those evidences.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import comb
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.alert_ops import AlertOps, fingerprint_of
from bench.storms import HELD_OUT, SHAPES, StormShape, generate
from config.knowledge_base import MemoryKnowledgeBase
from data.labels import host_of
from data.models import AlertIn, AlertState, TopologyIn
from data.timeutil import parse_iso

Key = tuple[str, datetime]


@dataclass
class Case:
    name: str
    topologies: list[TopologyIn]
    stream: list[AlertIn]  # delivery order, repeats and resolutions included
    truth: dict[Key, str | None]  # occurrence -> fault id (None = noise)
    roots: dict[str, tuple[str, str]]  # fault id -> (root service, root host)
    noise: dict[Key, str] = field(default_factory=dict)  # noise occurrence -> its condition, where known
    tenant_of: dict[Key, str] = field(default_factory=dict)

    def unit(self, key: Key) -> str:
        """Return the truth's group of an occurrence: its fault, else its noise condition (a flapping noise alert's
        occurrences are one condition), else the occurrence alone."""
        fault = self.truth[key]
        if fault is not None:
            return fault
        return f"noise:{self.noise[key]}" if key in self.noise else f"noise:{key[0]}:{key[1].isoformat()}"


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    ari: float
    compression: float
    truth_compression: float  # the truth's own over the same occurrences
    clusters: int
    cross_tenant: int
    root_hit: float | None


def pair_scores(pred: dict[Key, str], truth: dict[Key, str]) -> tuple[float, float, float, float]:
    """Return pairwise precision, recall, F1 and the adjusted Rand index of two clusterings."""
    keys = list(truth)
    cells = Counter((pred[k], truth[k]) for k in keys)
    tp = sum(comb(n, 2) for n in cells.values())
    pred_pairs = sum(comb(n, 2) for n in Counter(pred[k] for k in keys).values())
    true_pairs = sum(comb(n, 2) for n in Counter(truth[k] for k in keys).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = comb(len(keys), 2)
    expected = pred_pairs * true_pairs / total if total else 0.0
    maximum = (pred_pairs + true_pairs) / 2
    ari = (tp - expected) / (maximum - expected) if maximum != expected else 1.0
    return precision, recall, f1, ari


def score(
    case: Case,
    pred: dict[Key, str],
    roots: dict[str, tuple[str | None, str | None]] | None,
    since: datetime | None = None,
) -> Scores:
    """Score ``pred`` against the truth, over the occurrences starting at ``since`` or later when given."""
    keys = [k for k in case.truth if k in pred and (since is None or k[1] >= since)]
    truth = {k: case.unit(k) for k in keys}
    precision, recall, f1, ari = pair_scores(pred, truth)
    clusters = len(set(pred[k] for k in keys))
    tenants: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        tenants[pred[key]].add(case.tenant_of[key])
    cross = sum(1 for ts in tenants.values() if len(ts) > 1)
    hit: float | None = None
    if roots is not None:
        by_fault: dict[str, Counter[str]] = defaultdict(Counter)
        for key in keys:
            fault = case.truth[key]
            if fault is not None:
                by_fault[fault][pred[key]] += 1
        hits = 0
        for fault, incidents in by_fault.items():
            incident = incidents.most_common(1)[0][0]
            service, host = roots.get(incident, (None, None))
            true_service, true_host = case.roots[fault]
            hits += service == true_service or (service is None and host == true_host)
        hit = hits / len(by_fault) if by_fault else None
    truth_compression = 1 - len(set(truth.values())) / len(keys)
    return Scores(precision, recall, f1, ari, 1 - clusters / len(keys), truth_compression, clusters, cross, hit)


# ----------------------------------------------------------------------------------------------- runners


def occurrences(case: Case) -> list[tuple[Key, AlertIn]]:
    """Return each distinct firing occurrence once, in delivery order."""
    seen: dict[Key, AlertIn] = {}
    for alert in case.stream:
        if alert.status is AlertState.FIRING:
            seen.setdefault((fingerprint_of(alert), alert.startsAt), alert)
    return [(k, a) for k, a in seen.items() if k in case.truth]


def chunks(stream: list[AlertIn], batch: int) -> Iterable[list[AlertIn]]:
    """Yield delivery batches of at most ``batch`` alerts, cut before an alert re-fires with a new ``startsAt``.

    The engine tells which incident a fingerprint is in, not an occurrence; reading it after a batch in which
    the fingerprint fired twice would credit the earlier occurrence with the later one's incident.
    """
    chunk: list[AlertIn] = []
    starts: dict[str, datetime] = {}
    for alert in stream:
        fingerprint = fingerprint_of(alert)
        if len(chunk) >= batch or starts.get(fingerprint, alert.startsAt) != alert.startsAt:
            yield chunk
            chunk, starts = [], {}
        chunk.append(alert)
        starts[fingerprint] = alert.startsAt
    if chunk:
        yield chunk


@dataclass
class Run:
    pred: dict[Key, str]  # occurrence -> incident
    roots: dict[str, tuple[str | None, str | None]]  # incident -> root (service, host)
    confidence: dict[str, float | None]  # incident -> root-cause confidence
    elapsed: float


def run_engine(case: Case, batch: int = 200, *, push_topology: bool = True) -> Run:
    """Deliver the case's stream to a fresh engine (pushing the case's topologies first when ``push_topology``) and
    return each occurrence's incident, each incident's root and confidence, and the seconds spent ingesting."""
    kb = MemoryKnowledgeBase(capacity=10**7)
    engine = AlertOps(kb)
    if push_topology:
        for topology in case.topologies:
            engine.set_topology(topology)
    assigned: dict[Key, str] = {}
    started = time.perf_counter()
    for chunk in chunks(case.stream, batch):
        engine.ingest(chunk)
        for alert in chunk:
            key = (fingerprint_of(alert), alert.startsAt)
            if alert.status is AlertState.FIRING and key not in assigned:
                incident = engine.incident_of(key[0], alert.labels.get("tenant"))
                if incident is not None:
                    assigned[key] = incident
    elapsed = time.perf_counter() - started
    pred = {k: engine.canonical_id(v) for k, v in assigned.items()}
    roots: dict[str, tuple[str | None, str | None]] = {}
    confidence: dict[str, float | None] = {}
    for incident_id in set(pred.values()):
        stored = kb.get_incident(incident_id)
        if stored is not None:
            roots[incident_id] = (stored.rootCauseService, stored.rootCauseHost)
            confidence[incident_id] = stored.confidence
    return Run(pred, roots, confidence, elapsed)


def reliability(case: Case, run: Run) -> list[tuple[float, bool]]:
    """Return (confidence, root hit) of the incident holding most of each fault's alerts, as `score` judges it."""
    by_fault: dict[str, Counter[str]] = defaultdict(Counter)
    for key, incident in run.pred.items():
        fault = case.truth.get(key)
        if fault is not None:
            by_fault[fault][incident] += 1
    rows = []
    for fault, incidents in by_fault.items():
        incident = incidents.most_common(1)[0][0]
        conf = run.confidence.get(incident)
        if conf is not None:
            service, host = run.roots.get(incident, (None, None))
            true_service, true_host = case.roots[fault]
            rows.append((conf, service == true_service or (service is None and host == true_host)))
    return rows


def print_reliability(rows: list[tuple[float, bool]]) -> None:
    """Print the root-cause confidence against the hit rate per confidence bucket (a calibrated confidence has the
    two close in every bucket)."""
    edges = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
    print("\n## root-cause reliability (incident holding most of a fault: confidence bucket -> hit rate)")
    print(f"{'confidence':>12} {'faults':>7} {'mean conf':>9} {'hit rate':>8}")
    for lo, hi in itertools.pairwise(edges):
        inside = [(c, h) for c, h in rows if lo <= c < hi or (hi == 1.0 and c == 1.0)]
        if inside:
            mean = sum(c for c, _ in inside) / len(inside)
            hits = sum(h for _, h in inside) / len(inside)
            print(f"{f'[{lo:.2f}, {hi:.2f}]':>12} {len(inside):7d} {100 * mean:9.1f} {100 * hits:8.1f}")
    if rows:
        brier = sum((c - h) ** 2 for c, h in rows) / len(rows)
        print(f"{'all':>12} {len(rows):7d} {100 * sum(c for c, _ in rows) / len(rows):9.1f} "
              f"{100 * sum(h for _, h in rows) / len(rows):8.1f}   Brier score {brier:.3f}")  # fmt: skip


def group_by(case: Case, labels: tuple[str, ...], interval_s: float = 300.0) -> dict[Key, str]:
    """Alertmanager-style grouping: same label values, a new group after ``interval_s`` without alerts."""
    last: dict[tuple[str, ...], tuple[datetime, int]] = {}
    pred: dict[Key, str] = {}
    counter = 0
    for key, alert in sorted(occurrences(case), key=lambda item: item[1].startsAt):
        group = tuple(alert.labels.get(name, "") for name in labels)
        previous = last.get(group)
        if previous is None or (alert.startsAt - previous[0]).total_seconds() > interval_s:
            counter += 1
            previous = (alert.startsAt, counter)
        last[group] = (alert.startsAt, previous[1])
        pred[key] = f"g{previous[1]}"
    return pred


def linked_components(case: Case, window_s: float, related: Callable[[AlertIn, AlertIn], bool]) -> dict[Key, str]:
    """Union alerts of one tenant starting within ``window_s`` of each other when ``related`` holds."""
    items = sorted(occurrences(case), key=lambda item: item[1].startsAt)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, a) in enumerate(items):
        j = i + 1
        while j < len(items) and (items[j][1].startsAt - a.startsAt).total_seconds() <= window_s:
            b = items[j][1]
            if a.labels.get("tenant") == b.labels.get("tenant") and related(a, b):
                parent[find(i)] = find(j)
            j += 1
    return {key: f"c{find(i)}" for i, (key, _) in enumerate(items)}


def topology_baseline(case: Case) -> tuple[dict[Key, str], dict[str, tuple[str | None, str | None]]]:
    services_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    edges: set[tuple[str, str, str]] = set()
    for topology in case.topologies:
        for service in topology.services:
            for host in service.hosts:
                services_of[(topology.tenant, host)].add(service.name)
        for a, b in topology.dependencies:
            edges.add((topology.tenant, a, b))

    def services(alert: AlertIn) -> set[str]:
        if alert.labels.get("service"):
            return {alert.labels["service"]}
        return services_of.get((alert.labels.get("tenant", ""), host_of(alert.labels.get("instance", ""))), set())

    def related(a: AlertIn, b: AlertIn) -> bool:
        tenant = a.labels.get("tenant", "")
        sa, sb = services(a), services(b)
        return bool(sa & sb) or any((tenant, x, y) in edges or (tenant, y, x) in edges for x in sa for y in sb)

    pred = linked_components(case, 600.0, related)
    first: dict[str, AlertIn] = {}
    for key, alert in occurrences(case):
        cluster = pred[key]
        if cluster not in first or alert.startsAt < first[cluster].startsAt:
            first[cluster] = alert
    roots: dict[str, tuple[str | None, str | None]] = {
        c: (a.labels.get("service"), host_of(a.labels.get("instance", ""))) for c, a in first.items()
    }
    return pred, roots


def oracle_bound(case: Case, tolerance_s: float = 60.0) -> dict[Key, str]:
    """Return the observability oracle's clustering (see the module docstring)."""
    services_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    calls: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for topology in case.topologies:
        for service in topology.services:
            for host in service.hosts:
                services_of[(topology.tenant, host)].add(service.name)
        for caller, callee in topology.dependencies:
            calls[topology.tenant][caller].add(callee)

    def reaches(tenant: str, service: str) -> set[str]:
        seen, frontier = {service}, [service]
        while frontier:
            for callee in calls[tenant].get(frontier.pop(), ()):
                if callee not in seen:
                    seen.add(callee)
                    frontier.append(callee)
        return seen

    onset: dict[str, datetime] = {}
    tenant_of_fault: dict[str, str] = {}
    for key, fault in case.truth.items():
        if fault is not None:
            onset[fault] = min(onset.get(fault, key[1]), key[1])
            tenant_of_fault[fault] = case.tenant_of.get(key, "")
    pred: dict[Key, str] = {}
    for key, alert in occurrences(case):
        tenant = alert.labels.get("tenant", "")
        if case.truth[key] is None:
            pred[key] = case.unit(key)
            continue
        if alert.labels.get("service"):
            services = {alert.labels["service"]}
        else:
            services = services_of.get((tenant, host_of(alert.labels.get("instance", ""))), set())
        reached = set().union(*(reaches(tenant, s) for s in services)) if services else set()
        host = host_of(alert.labels.get("instance", ""))
        candidates = [
            fault for fault, (root, root_host) in case.roots.items()
            if tenant_of_fault.get(fault) == tenant
            and (root in reached or (not services and root_host == host))
            and (onset[fault] - alert.startsAt).total_seconds() <= tolerance_s
        ]  # fmt: skip
        pred[key] = max(candidates, key=lambda f: onset[f]) if candidates else f"alone:{key[0]}:{key[1].isoformat()}"
    return pred


# ----------------------------------------------------------------------------------------------- cases


def case_from_storm(name: str, shape: StormShape, seed: int) -> Case:
    storm = generate(shape, seed)
    truth: dict[Key, str | None] = {}
    noise: dict[Key, str] = {}
    for occurrence in storm.alerts:
        if occurrence.alert.status is AlertState.FIRING:
            key = (fingerprint_of(occurrence.alert), occurrence.alert.startsAt)
            truth.setdefault(key, occurrence.fault_id)
            if occurrence.noise is not None:
                noise.setdefault(key, occurrence.noise)
    roots = {f: (service, host) for f, (_, service, host) in storm.faults.items()}
    return finish(Case(name, storm.topologies, [o.alert for o in storm.alerts], truth, roots, noise))


def case_from_export(directory: Path, name: str) -> Case:
    stream: list[AlertIn] = []
    for line in (directory / "alerts.jsonl").read_text().splitlines():
        for alert in json.loads(line)["alerts"]:
            ends = alert.get("endsAt")
            if ends and ends.startswith("0001-01-01"):
                alert["endsAt"] = None
            stream.append(AlertIn.model_validate(alert))
    truth_doc = json.loads((directory / "truth.json").read_text())
    keys = [(a["fingerprint"], parse_iso(a["startsAt"])) for a in truth_doc["alerts"]]
    truth = {key: a["fault_id"] for key, a in zip(keys, truth_doc["alerts"], strict=True)}
    noise = {key: a["noise_id"] for key, a in zip(keys, truth_doc["alerts"], strict=True) if a.get("noise_id")}
    roots = {f["id"]: (f["root_service"], f["root_host"]) for f in truth_doc["faults"]}
    topologies = [TopologyIn.model_validate(t) for t in json.loads((directory / "topology.json").read_text())]
    return finish(Case(name, topologies, stream, truth, roots, noise))


def finish(case: Case) -> Case:
    for alert in case.stream:
        case.tenant_of[(fingerprint_of(alert), alert.startsAt)] = alert.labels.get("tenant", "")
    return case


def simulator_cases(seeds: Iterable[int], hours: float) -> list[Case]:
    from data.sim.export import export_run

    cases = []
    for seed in seeds:
        for storm in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                export_run(seed=seed, hours=hours, out=Path(tmp), storm=storm)
                cases.append(case_from_export(Path(tmp), f"simulator seed={seed}{' storm' if storm else ''}"))
    return cases


# ----------------------------------------------------------------------------------------------- report


def fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "   -  "
    return f"{100 * value:6.1f}" if pct else f"{value:6.3f}"


LATE_S = 6 * 3600.0  # the learned graph is judged on the stream after this much of it


def report(case: Case, calibration: list[tuple[float, bool]], *, push_topology: bool = True) -> dict[str, Scores]:
    """Print and return every method's scores on ``case``; the engine's (confidence, hit) pairs go to
    ``calibration``. Without ``push_topology``, the engine is also run with the case's topology, and both are
    scored again on the occurrences after `LATE_S` of stream when the case is longer."""
    units = len(occurrences(case))
    truth_clusters = len({case.unit(k) for k in case.truth})
    print(f"\n## {case.name}: {units} alert occurrences, {len(case.roots)} faults, "
          f"truth compression {100 * (1 - truth_clusters / max(units, 1)):.1f} %")  # fmt: skip
    run = run_engine(case, push_topology=push_topology)
    elapsed = run.elapsed
    calibration += reliability(case, run)
    results = {"OpsForge AlertOps": score(case, run.pred, run.roots)}
    if not push_topology:
        pushed = run_engine(case)
        results["OpsForge with its topology"] = score(case, pushed.pred, pushed.roots)
        start = min(k[1] for k in case.truth)
        late = start + timedelta(seconds=LATE_S)
        if any(k[1] >= late for k in run.pred):
            results["  no topology, after 6 h"] = score(case, run.pred, run.roots, late)
            results["  with topology, after 6 h"] = score(case, pushed.pred, pushed.roots, late)
    topo_pred, topo_roots = topology_baseline(case)
    results["topology adjacency (10 min)"] = score(case, topo_pred, topo_roots)
    results["time window CC (5 min)"] = score(case, linked_components(case, 300.0, lambda a, b: True), None)
    for labels in (("alertname",), ("service",), ("tenant", "site")):
        results[f"group_by {list(labels)}"] = score(case, group_by(case, labels), None)
    results["(oracle bound: reach + onset)"] = score(case, oracle_bound(case), None)
    print(f"{'method':32} {'prec':>6} {'recall':>6} {'F1':>6} {'ARI':>6} {'compr':>6} {'root':>6} {'x-ten':>5}")
    for method, s in results.items():
        print(
            f"{method:32} {fmt(s.precision)} {fmt(s.recall)} {fmt(s.f1)} {fmt(s.ari)} {fmt(s.compression)} "
            f"{fmt(s.root_hit)} {s.cross_tenant:5d}"
        )
    print(f"(engine: {len(case.stream)} deliveries in {elapsed:.2f} s, {len(case.stream) / elapsed:,.0f} alerts/s)")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-export", type=Path, help="a directory written by the simulator's export CLI")
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--held-out", action="store_true", help="the held-out storm shapes instead of the tuning ones")
    parser.add_argument(
        "--no-topology", action="store_true",
        help="deliver the same storms without pushing their topologies (the baselines and the oracle still use them)",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"# correlation quality on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    if args.from_export:
        cases = [case_from_export(args.from_export, f"export {args.from_export}")]
    else:
        cases = simulator_cases(args.seeds, args.hours)
        cases += [case_from_storm(f"synthetic {s.name} seed={seed}", s, seed)
                  for s in (HELD_OUT if args.held_out else SHAPES) for seed in args.seeds]  # fmt: skip
    totals: dict[str, list[Scores]] = defaultdict(list)
    calibration: list[tuple[float, bool]] = []
    for case in cases:
        for method, s in report(case, calibration, push_topology=not args.no_topology).items():
            totals[method].append(s)
    print(f"\n## mean over {len(cases)} storms (|dcompr|: points from the truth's compression; the issue's targets per")
    print("## storm: F1 >= 95, |dcompr| <= 3, root >= 90 %, 0 cross-tenant; 'met' counts the storms meeting each)")
    print(f"{'method':32} {'F1':>6} {'ARI':>6} {'root':>6} {'x-ten':>5} {'|dcompr|':>8}  met: F1 compr root")
    for method, rows in totals.items():
        hits = [r.root_hit for r in rows if r.root_hit is not None]
        mean_hit = sum(hits) / len(hits) if hits else None
        gaps = [abs(r.compression - r.truth_compression) for r in rows]
        met_f1 = sum(r.f1 >= 0.95 for r in rows)
        met_compr = sum(g <= 0.03 for g in gaps)
        met_root = f"{sum(h >= 0.90 for h in hits):4d}" if hits else "   -"
        print(
            f"{method:32} {fmt(sum(r.f1 for r in rows) / len(rows))} {fmt(sum(r.ari for r in rows) / len(rows))} "
            f"{fmt(mean_hit)} {sum(r.cross_tenant for r in rows):5d} {fmt(sum(gaps) / len(gaps)):>8}"
            f"       {met_f1:3d} {met_compr:5d} {met_root}"
        )
    late_no, late_with = totals.get("  no topology, after 6 h", []), totals.get("  with topology, after 6 h", [])
    if late_no:
        within = sum(a.f1 >= b.f1 - 0.05 for a, b in zip(late_no, late_with, strict=True))
        print(f"after 6 h of stream, no topology within 5 F1 points of its topology: {within} of {len(late_no)} storms")
    print_reliability(calibration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

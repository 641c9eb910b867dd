"""Per-batch ingest time with a star-shaped topology next to a normal one, in the same run.

    python bench/topology_cost.py [--leaves 20000] [--batches 20] [--batch 250]

One tenant, 250-alert batches of new alerts on services drawn at random (seeded), event time one minute
apart per batch. Three graphs: a normal one (a layered call tree, fan-out 4, as many services as the
star has leaves); a star (a hub calling ``--leaves`` services, every leaf on its own host) correlated
with the default `TopologyLimits`; and the same star with the bounds lifted (siblings through any
caller, unbounded caches: the engine before the bounds). The star is pushed through
`TopologyRegistry` directly with its service limit raised, since `PUT /api/topology` refuses it above
``TOPOLOGY_MAX_SERVICES``. Printed per graph: median and worst batch time (wall ms), and the entries
held by the neighbourhood caches afterwards.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.alert_ops import AlertOps
from agents.alert_ops.topology import TopologyLimits, TopologyRegistry
from config.knowledge_base import MemoryKnowledgeBase
from data.models import AlertIn, TopologyIn

T0 = datetime(2026, 5, 1, tzinfo=UTC)
NAMES = ("HighLatency", "ErrorRate", "Saturation", "InstanceDown", "QueueBacklog")


def star(leaves: int) -> TopologyIn:
    services = [{"name": "hub", "hosts": ["hub-1"]}] + [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(leaves)]
    deps = [["hub", f"s{i}"] for i in range(leaves)]
    return TopologyIn.model_validate({"tenant": "acme", "services": services, "dependencies": deps})


def tree(size: int, fanout: int = 4) -> TopologyIn:
    services = [{"name": f"s{i}", "hosts": [f"h{i}"]} for i in range(size)]
    deps = [[f"s{(i - 1) // fanout}", f"s{i}"] for i in range(1, size)]
    return TopologyIn.model_validate({"tenant": "acme", "services": services, "dependencies": deps})


def run(topology: TopologyIn, limits: TopologyLimits, batches: int, batch: int, seed: int) -> tuple[list[float], int]:
    """Return the wall seconds of each batch and the entries the tenant's neighbourhood caches hold after."""
    registry = TopologyRegistry(limits)
    registry.set_topology(topology)
    engine = AlertOps(MemoryKnowledgeBase(capacity=10**7), topology=registry)
    services = [s.name for s in topology.services]
    rng = random.Random(seed)
    times = []
    for b in range(batches):
        at = T0 + timedelta(minutes=b)
        alerts = []
        for i in range(batch):
            service = rng.choice(services)
            labels = {"alertname": rng.choice(NAMES), "service": service, "instance": f"{service}-{b}-{i}:9100",
                      "tenant": "acme", "severity": "warning"}  # fmt: skip
            alerts.append(AlertIn(labels=labels, startsAt=at + timedelta(seconds=i * 60 / batch)))
        started = time.perf_counter()
        engine.ingest(alerts)
        times.append(time.perf_counter() - started)
    graph = registry.get("acme")
    assert graph is not None
    cached = len(graph._near) + len(graph._related) + len(graph._siblings) + len(graph._distances)
    return times, cached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    bounded = replace(TopologyLimits(), max_services=args.leaves + 1, max_dependencies=args.leaves)
    unbounded = replace(bounded, max_fanout=10**9, cache_entries=10**9)
    print(f"# topology cost on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    print(f"# {args.batches} batches of {args.batch} new alerts, one tenant, seed {args.seed}")
    print(f"{'graph':42} {'median ms':>10} {'worst ms':>10} {'cached':>8}")
    cases = [
        (f"normal (call tree, {args.leaves} services)", tree(args.leaves), bounded),
        (f"star (hub + {args.leaves} leaves), bounded", star(args.leaves), bounded),
        (f"star (hub + {args.leaves} leaves), unbounded", star(args.leaves), unbounded),
    ]
    for name, topology, limits in cases:
        times, cached = run(topology, limits, args.batches, args.batch, args.seed)
        median, worst = statistics.median(times) * 1000, max(times) * 1000
        print(f"{name:42} {median:10.1f} {worst:10.1f} {cached:8d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

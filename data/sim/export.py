"""Offline export of a simulated run: the alert stream, metric samples, topologies and the ground truth.

Files written to the output directory:

- ``alerts.jsonl``: one Alertmanager webhook (version 4) payload per line, one per (tick, tenant,
  alertname) group, in emission order; firing alerts carry Alertmanager's zero ``endsAt``.
- ``metrics.csv``: ``timestamp,host,metric,value``, one row per host and metric per tick.
- ``truth.json``: run parameters, faults, the alert occurrence -> fault map, advisories and which
  patches are bad where.
- ``topology.json``: the list of per-tenant topology payloads.

    python -m data.sim.export export --seed S --hours H --out DIR   # manual clock, no server
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from data.models import AlertIn, AlertState, MetricSampleIn, TopologyIn
from data.sim.world import World
from data.timeutil import iso_z, parse_iso

EXTERNAL_URL = "http://alertmanager.sim:9093"
ZERO_TIME = "0001-01-01T00:00:00Z"  # what Alertmanager sends as endsAt while an alert fires


def _alert_json(alert: AlertIn) -> dict[str, Any]:
    return {
        "status": alert.status.value,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": iso_z(alert.startsAt),
        "endsAt": iso_z(alert.endsAt) if alert.endsAt is not None else ZERO_TIME,
        "generatorURL": alert.generatorURL or "",
        "fingerprint": alert.fingerprint or "",
    }


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    first = dicts[0]
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in dicts[1:])}


def webhook_payloads(alerts: Sequence[AlertIn], receiver: str = "opsforge") -> list[dict[str, Any]]:
    """Group one tick's alerts by (tenant, alertname) into Alertmanager webhook v4 payloads, in first-seen order."""
    groups: dict[tuple[str, str], list[AlertIn]] = {}
    for alert in alerts:
        key = (alert.labels.get("tenant", ""), alert.labels.get("alertname", ""))
        groups.setdefault(key, []).append(alert)
    payloads = []
    for (tenant, alertname), members in groups.items():
        firing = any(a.status == AlertState.FIRING for a in members)
        payloads.append(
            {
                "receiver": receiver,
                "status": "firing" if firing else "resolved",
                "alerts": [_alert_json(a) for a in members],
                "groupLabels": {"alertname": alertname, "tenant": tenant},
                "commonLabels": _common([a.labels for a in members]),
                "commonAnnotations": _common([a.annotations for a in members]),
                "externalURL": EXTERNAL_URL,
                "version": "4",
                "groupKey": f'{{}}:{{alertname="{alertname}", tenant="{tenant}"}}',
                "truncatedAlerts": 0,
            }
        )
    return payloads


class _FileSink:
    """Implements the sink protocols by streaming to the export files."""

    def __init__(self, alerts: IO[str], metrics: IO[str]) -> None:
        self._alerts = alerts
        self._metrics = metrics
        self.topologies: list[TopologyIn] = []
        self.payloads = 0
        self.alert_count = 0
        self.rows = 0

    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        for payload in webhook_payloads(alerts):
            self._alerts.write(json.dumps(payload, separators=(",", ":")) + "\n")
            self.payloads += 1
        self.alert_count += len(alerts)

    def ingest_frame(
        self, timestamp: datetime, hosts: Sequence[str], metrics: Sequence[str], values: NDArray[np.float64]
    ) -> None:
        stamp = iso_z(timestamp)
        lines = [
            f"{stamp},{host},{metric},{value:.4f}"
            for host, row in zip(hosts, values.tolist(), strict=True)
            for metric, value in zip(metrics, row, strict=True)
        ]
        self._metrics.write("\n".join(lines) + "\n")
        self.rows += len(lines)

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        for sample in samples:
            host = sample.labels.get("host") or sample.labels.get("instance", "")
            metric = sample.labels.get("metric") or sample.labels.get("__name__", "")
            self._metrics.write(f"{iso_z(sample.timestamp)},{host},{metric},{sample.value:.4f}\n")
            self.rows += 1

    def set_topology(self, topology: TopologyIn) -> None:
        self.topologies.append(topology)


def export_run(
    *,
    seed: int,
    hours: float,
    out: Path,
    n_hosts: int = 60,
    n_tenants: int = 4,
    storm: bool = False,
    start: str = "2026-01-05T00:00:00Z",
    tick_seconds: float = 60.0,
) -> str:
    """Run the world offline for ``hours`` of sim time from ``start`` and write the four files into ``out``.

    Returns a one-line summary. The same arguments always produce byte-identical files.
    """
    out.mkdir(parents=True, exist_ok=True)
    begin = parse_iso(start)
    steps = int(hours * 3600 / tick_seconds)
    with (out / "alerts.jsonl").open("w") as alerts_file, (out / "metrics.csv").open("w") as metrics_file:
        metrics_file.write("timestamp,host,metric,value\n")
        sink = _FileSink(alerts_file, metrics_file)
        world = World(
            seed=seed,
            alert_sink=sink,
            metric_sink=sink,
            topology_sink=sink,
            n_hosts=n_hosts,
            n_tenants=n_tenants,
            storm=storm,
            tick_seconds=tick_seconds,
        )
        for i in range(steps):
            world.step(begin + timedelta(seconds=i * tick_seconds))
    truth = {
        "seed": seed,
        "hours": hours,
        "start": iso_z(begin),
        "tick_seconds": tick_seconds,
        "hosts": n_hosts,
        "tenants": n_tenants,
        "storm": storm,
        "faults": [f.model_dump(mode="json") for f in world.truth.faults()],
        "alerts": [a.model_dump(mode="json") for a in world.truth.alerts()],
        "advisories": [a.model_dump(mode="json") for a in world.advisories.published()],
        "advisory_truth": [a.model_dump(mode="json") for a in world.advisories.truth()],
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    topologies = [t.model_dump(mode="json") for t in sink.topologies]
    (out / "topology.json").write_text(json.dumps(topologies, indent=1) + "\n")
    n_faults, n_alerts = world.truth.counts()
    return (
        f"wrote {out}: {sink.payloads} webhook payloads ({sink.alert_count} alerts, {n_alerts} occurrences), "
        f"{n_faults} faults, {sink.rows} metric rows, {len(topologies)} topologies"
    )


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m data.sim.export")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="run the simulated fleet offline and write its alert stream and truth")
    export.add_argument("--seed", type=int, default=42)
    export.add_argument("--hours", type=float, default=24.0)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--hosts", type=int, default=60)
    export.add_argument("--tenants", type=int, default=4)
    export.add_argument("--storm", action="store_true", help="storm mode: faults and noise several times as often")
    export.add_argument("--start", default="2026-01-05T00:00:00Z", help="sim start time (ISO-8601, UTC)")
    args = parser.parse_args(argv)
    summary = export_run(
        seed=args.seed,
        hours=args.hours,
        out=args.out,
        n_hosts=args.hosts,
        n_tenants=args.tenants,
        storm=args.storm,
        start=args.start,
    )
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

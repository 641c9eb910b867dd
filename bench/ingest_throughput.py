"""Alert ingest throughput: in-process and over HTTP, next to a real Prometheus Alertmanager in the same run.

    python bench/ingest_throughput.py [--alerts 200000] [--batch 500] [--million]

Two workloads, each printed: a new-alert storm (most deliveries are alerts not seen before, so nearly
every one is correlated), and a re-send stream as a real alert source delivers it (every firing alert
sent again each minute with the same ``startsAt`` until it ends, then once resolved; most deliveries
are repeats). For each: alerts/s of the engine in-process (dedup + correlation + store) with the memory
and SQLite stores; the HTTP API on one uvicorn worker (SQLite, batches POSTed to /api/alerts and to the
webhook from one client); and Prometheus Alertmanager (Debian package `prometheus-alertmanager`, started
here on a loopback port) taking the same batches on /api/v2/alerts from the same client. Each rate is
given per second of wall time and per second of CPU time of the process that ingests (the bench itself
in-process, the server process over HTTP, Alertmanager's process for it): on a shared machine the CPU
figures, and ratios of figures from the same run, are the comparable ones. `--million` also reports the
peak RSS of the engine after ingesting one million alerts.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.alert_ops import AlertOps
from bench.storms import StormShape, generate
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase, MemoryKnowledgeBase
from config.runtime import tune_garbage_collector
from data.models import AlertIn, AlertState, TopologyIn
from data.timeutil import iso_z

REPO = Path(__file__).resolve().parent.parent


def storm_alerts(count: int) -> list[AlertIn]:
    """Return ``count`` deliveries of a large synthetic storm (new alerts, repeats, flaps, noise)."""
    shape = StormShape("throughput", tenants=20, services=30, faults=max(50, count // 12), hours=24.0 * 14)
    alerts: list[AlertIn] = []
    round_ = 0
    while len(alerts) < count:
        storm = generate(shape, round_)
        shift = timedelta(days=14 * round_)
        for occurrence in storm.alerts:
            alert = occurrence.alert
            ends = alert.endsAt + shift if alert.endsAt is not None else None
            alerts.append(alert.model_copy(update={"startsAt": alert.startsAt + shift, "endsAt": ends}))
        round_ += 1
    return alerts[:count]


RESEND_INTERVAL = timedelta(minutes=1)  # Prometheus' default resend delay; Alertmanager's webhook re-sends likewise
MEAN_FIRING = timedelta(minutes=15)  # how long an alert fires, exponentially distributed, capped at 4 h
MAX_FIRING = timedelta(hours=4)


def topologies() -> list[TopologyIn]:
    return generate(StormShape("throughput", tenants=20, services=30, faults=1), 0).topologies


def resend_stream(count: int) -> list[AlertIn]:
    """Return the first ``count`` deliveries of the storm's firing alerts as a source re-sends them: each
    distinct occurrence is sent when it starts and again every `RESEND_INTERVAL` (same ``startsAt``, no
    ``endsAt``) while it fires, then once resolved; an occurrence ends before its alert fires anew."""
    rng = random.Random("resend")
    occurrences = [a for a in storm_alerts(count) if a.status is AlertState.FIRING]
    by_alert: dict[tuple[tuple[str, str], ...], list[AlertIn]] = {}
    for alert in occurrences:
        runs = by_alert.setdefault(tuple(sorted(alert.labels.items())), [])
        if not runs or runs[-1].startsAt != alert.startsAt:
            runs.append(alert)
    events: list[tuple[float, int, AlertIn]] = []
    for runs in by_alert.values():
        runs.sort(key=lambda a: a.startsAt)
        for i, alert in enumerate(runs):
            firing = min(timedelta(seconds=rng.expovariate(1 / MEAN_FIRING.total_seconds())), MAX_FIRING)
            ends = alert.startsAt + firing
            if i + 1 < len(runs):
                ends = min(ends, runs[i + 1].startsAt - timedelta(seconds=1))
            sent = alert.startsAt
            while sent < ends:
                events.append((sent.timestamp(), len(events), alert))
                sent += RESEND_INTERVAL
            resolved = alert.model_copy(update={"status": AlertState.RESOLVED, "endsAt": max(ends, alert.startsAt)})
            events.append((ends.timestamp(), len(events), resolved))
    events.sort(key=lambda e: (e[0], e[1]))
    return [alert for _, _, alert in events[:count]]


def repeat_share(alerts: list[AlertIn]) -> float:
    """Return the % of deliveries that repeat a (label set, startsAt, status) delivered before."""
    seen: set[tuple[tuple[tuple[str, str], ...], object, AlertState]] = set()
    repeats = 0
    for alert in alerts:
        key = (tuple(sorted(alert.labels.items())), alert.startsAt, alert.status)
        repeats += key in seen
        seen.add(key)
    return 100.0 * repeats / len(alerts) if alerts else 0.0


@dataclass(frozen=True)
class Rate:
    """Alerts per second of wall time, and per second of the ingesting process's CPU time (None where unknown).

    The CPU figure is the steadier one on a shared machine: other processes stretch the wall time of a run
    but not the CPU time it needs."""

    wall: float
    cpu: float | None

    def __str__(self) -> str:
        cpu = f"{self.cpu:>10,.0f} per CPU-s" if self.cpu is not None else "       - per CPU-s"
        return f"{self.wall:>10,.0f} alerts/s {cpu}"


def ratio(mine: float | None, theirs: float | None) -> str:
    return f"{mine / theirs:.2f}" if mine is not None and theirs else "-"


def in_process(alerts: list[AlertIn], kb: KnowledgeBase, batch: int) -> Rate:
    engine = AlertOps(kb)
    for topology in topologies():
        engine.set_topology(topology)
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, len(alerts), batch):
        engine.ingest(alerts[i : i + batch])
    cpu = time.process_time() - cpu_started
    return Rate(len(alerts) / (time.perf_counter() - started), len(alerts) / cpu if cpu > 0 else None)


def cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def opsforge_server(tmp: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "KB_BACKEND": "sqlite", "KB_PATH": str(tmp / "kb.sqlite3"),
           "SIM_AUTOSTART": "false", "TERMINAL_OUTPUT": "none", "INGEST_MAX_INFLIGHT": "8"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "backend_api.py"], cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def alertmanager(tmp: Path) -> Iterator[tuple[int, int] | None]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        yield None
        return
    port = free_port()
    config = tmp / "alertmanager.yml"
    config.write_text("route:\n  receiver: devnull\nreceivers:\n  - name: devnull\n")
    cluster = "--cluster.listen-address="  # a single instance: no gossip port
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", cluster],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port, proc)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def post_batches(server: tuple[int, int], path: str, bodies: list[bytes], headers: dict[str, str]) -> Rate:
    """POST ``bodies`` one after another; return the rate, with the CPU time the server process spent."""
    port, pid = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    count = 0
    cpu_started = cpu_seconds(pid)
    started = time.perf_counter()
    for body, n in bodies_with_counts(bodies):
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        detail = response.read()
        if response.status >= 300:
            raise RuntimeError(f"POST {path} answered {response.status}: {detail[:300]!r}")
        count += n
    elapsed = time.perf_counter() - started
    cpu_ended = cpu_seconds(pid)
    connection.close()
    cpu = cpu_ended - cpu_started if cpu_started is not None and cpu_ended is not None else None
    return Rate(count / elapsed, count / cpu if cpu else None)


def bodies_with_counts(bodies: list[bytes]) -> Iterator[tuple[bytes, int]]:
    for body in bodies:
        yield body, body.count(b'"labels"')


def encode(alerts: list[AlertIn], batch: int, shape: str) -> list[bytes]:
    """Return the POST bodies: ``generic`` (/api/alerts), ``webhook`` (Alertmanager's v4 notification) or ``am``
    (Alertmanager's own /api/v2/alerts, which takes no status)."""
    bodies = []
    for i in range(0, len(alerts), batch):
        rows = []
        for alert in alerts[i : i + batch]:
            row: dict[str, object] = {"labels": alert.labels, "annotations": alert.annotations,
                                      "startsAt": iso_z(alert.startsAt)}  # fmt: skip
            if alert.endsAt is not None:
                row["endsAt"] = iso_z(alert.endsAt)
            if shape != "am":
                row["status"] = alert.status.value
            rows.append(row)
        payload: object = rows
        if shape == "webhook":
            payload = {"version": "4", "receiver": "opsforge", "status": "firing", "alerts": rows}
        bodies.append(json.dumps(payload).encode())
    return bodies


def rss_mib() -> float:
    """Return the current resident set size of this process in MiB (Linux; 0 where /proc is absent)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next((row for row in status.splitlines() if row.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def million_rss(batch: int) -> None:
    """Ingest one million alerts of one dense storm and report the peak RSS, and how much of it the engine and
    its bounded memory store added on top of the generated input (which the bench holds, a server would not)."""
    alerts = storm_alerts(1_000_000)
    tune_garbage_collector()  # as the server process does; it also keeps the input out of the collector
    before = rss_mib()
    engine = AlertOps(MemoryKnowledgeBase(capacity=50_000))
    for topology in topologies():
        engine.set_topology(topology)
    started = time.perf_counter()
    for i in range(0, len(alerts), batch):
        engine.ingest(alerts[i : i + batch])
    rate = len(alerts) / (time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"1M alerts in-process (bounded memory store): {rate:,.0f} alerts/s, peak RSS {peak:,.0f} MiB "
          f"(input {before:,.0f} MiB, engine + store {peak - before:,.0f} MiB), hot incidents at the end "
          f"{engine.hot_incident_count()}, alerts held {engine.tracked_alert_count()}")  # fmt: skip


def run_workload(name: str, alerts: list[AlertIn], batch: int) -> None:
    """Print the in-process, HTTP and Alertmanager rates for one workload."""
    print(f"## {name}: {len(alerts):,} deliveries, {repeat_share(alerts):.1f} % repeats")
    memory = in_process(alerts, MemoryKnowledgeBase(capacity=10**6), batch)
    print(f"in-process, memory store               : {memory}")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_kb = KnowledgeBase(SqliteDocumentStore(Path(tmp) / "bench.sqlite3"))
        sqlite = in_process(alerts, sqlite_kb, batch)
        print(f"in-process, SQLite store               : {sqlite}")
        sqlite_kb.close()
    http_alerts = alerts[: min(len(alerts), 50_000)]
    headers = {"Content-Type": "application/json"}
    with tempfile.TemporaryDirectory() as tmp:
        with opsforge_server(Path(tmp) / "generic") as server:
            generic = post_batches(server, "/api/alerts", encode(http_alerts, batch, "generic"), headers)
            print(f"HTTP /api/alerts (1 worker)            : {generic}  ({len(http_alerts):,} alerts)")
        with opsforge_server(Path(tmp) / "webhook") as server:
            hook = post_batches(server, "/api/ingest/alertmanager", encode(http_alerts, batch, "webhook"), headers)
            print(f"HTTP /api/ingest/alertmanager (1 worker): {hook}")
        with alertmanager(Path(tmp)) as am_server:
            if am_server is None:
                print("Alertmanager: not installed (apt-get install prometheus-alertmanager) - no peer figure")
                return
            am = post_batches(am_server, "/api/v2/alerts", encode(http_alerts, batch, "am"), headers)
            print(f"Alertmanager /api/v2/alerts            : {am}  (same batches, same client)")
    print(f"ratio to Alertmanager, wall (per CPU-s): /api/alerts {ratio(generic.wall, am.wall)} "
          f"({ratio(generic.cpu, am.cpu)}), webhook {ratio(hook.wall, am.wall)} ({ratio(hook.cpu, am.cpu)}), "
          f"in-process memory {ratio(memory.wall, am.wall)} ({ratio(memory.cpu, am.cpu)}), "
          f"SQLite {ratio(sqlite.wall, am.wall)} ({ratio(sqlite.cpu, am.cpu)})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--million", action="store_true")
    args = parser.parse_args()
    print(f"# ingest throughput on {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}), {args.alerts:,} alerts in batches of {args.batch}")  # fmt: skip
    storm = storm_alerts(args.alerts)
    resends = resend_stream(args.alerts)
    # The collector tuned as in the server process; freezing also keeps the bench's input out of its scans.
    tune_garbage_collector()
    run_workload("new-alert storm", storm, args.batch)
    run_workload("re-send stream (each firing alert sent again every minute until it ends)", resends, args.batch)
    if args.million:
        million_rss(args.batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

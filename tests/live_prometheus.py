"""Real Prometheus and node exporter on loopback ports for the pull and remote-write tests.

Debian's `prometheus` (with `promtool`) and `prometheus-node-exporter` are installed by `make test`
(scripts/system_deps.sh). The node exporter serves only its textfile collector, from a file that a
`ControlledFill` thread rewrites with a filling series whose every value the test knows; its past can
be written into Prometheus' storage with promtool before Prometheus starts, so a test has hours of
history at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from tests.conftest import free_port

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
MISSING = None if PROMETHEUS and PROMTOOL and NODE_EXPORTER else "prometheus / prometheus-node-exporter not installed"
NAME = "opsforge_test_disk_used_percent"
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 60.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


@dataclass(frozen=True)
class Fill:
    """A disk that fills linearly: ``start`` % at epoch ``t0``, ``rate`` % per second, plus seeded noise."""

    host: str
    t0: float
    start: float
    rate: float
    noise: float
    seed: int

    def value(self, at: float, rng: np.random.Generator) -> float:
        return self.start + self.rate * (at - self.t0) + float(rng.normal(0, self.noise))

    def crosses(self, limit: float) -> float:
        """Return the epoch second at which the line reaches ``limit``."""
        return self.t0 + (limit - self.start) / self.rate


class ControlledFill:
    """Rewrites the textfile collector's file every ``period`` seconds with the fills' current values."""

    def __init__(self, directory: Path, fills: list[Fill], period: float = 0.05) -> None:
        self.path = directory / "opsforge.prom"
        self.fills = fills
        self.period = period
        self._rngs = [np.random.default_rng(f.seed) for f in fills]
        self._stop = threading.Event()
        self._write()
        self._thread = threading.Thread(target=self._run, name="controlled-fill", daemon=False)
        self._thread.start()

    def _write(self) -> None:
        now = time.time()
        lines = [f"# TYPE {NAME} gauge"]
        pairs = zip(self.fills, self._rngs, strict=True)
        lines += [f'{NAME}{{host="{f.host}"}} {f.value(now, rng):.6f}' for f, rng in pairs]
        staging = self.path.with_suffix(".tmp")  # the collector reads *.prom only: rename is atomic
        staging.write_text("\n".join(lines) + "\n")
        staging.replace(self.path)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._write()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def backfill(storage: Path, work: Path, fill: Fill, *, since: float, until: float, step: float) -> None:
    """Write ``fill``'s samples over [since, until) into a Prometheus storage directory with promtool."""
    assert PROMTOOL is not None
    rng = np.random.default_rng(fill.seed + 1)
    lines = [f"# TYPE {NAME} gauge"]
    for at in np.arange(since, until, step):
        lines.append(f'{NAME}{{host="{fill.host}",instance="backfill",job="node"}} {fill.value(at, rng):.6f} {at:.3f}')
    source = work / "history.om"
    source.write_text("\n".join(lines) + "\n# EOF\n")
    storage.mkdir(parents=True, exist_ok=True)
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


@contextmanager
def node_exporter(textfiles: Path) -> Iterator[str]:
    """Run the node exporter with only its textfile collector; yield its host:port."""
    assert NODE_EXPORTER is not None
    port = free_port()
    proc = subprocess.Popen(
        [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
         "--collector.textfile", f"--collector.textfile.directory={textfiles}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def up() -> bool:
            assert proc.poll() is None, "the node exporter exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                    return NAME in answer.read().decode()
            except OSError:
                return False

        wait_for(up, "the node exporter to serve the textfile")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def prometheus(work: Path, target: str, *, scrape: str = "1s", remote_write: str = "") -> Iterator[str]:
    """Run Prometheus scraping ``target`` every ``scrape`` (storage in ``work/data``, which may hold back-filled
    blocks), with an optional remote_write section; yield its base URL once it is ready."""
    assert PROMETHEUS is not None
    port = free_port()
    config = work / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {scrape}\n  evaluation_interval: {scrape}\n"
        f"scrape_configs:\n  - job_name: node\n    scrape_interval: {scrape}\n    scrape_timeout: {scrape}\n"
        f"    static_configs:\n      - targets: ['{target}']\n{remote_write}"
    )
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, "Prometheus exited: " + (work / "prometheus.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=5):
                    return True
            except OSError:
                return False

        wait_for(ready, "Prometheus to be ready")
        yield base
    finally:
        log.close()
        proc.terminate()
        proc.wait(timeout=30)

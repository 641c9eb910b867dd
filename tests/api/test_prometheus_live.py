"""A real Prometheus (Debian package `prometheus`, which `make test` installs) scrapes `GET /metrics` of the API
served by uvicorn on a loopback port, with the README's scrape config (interval shortened); the counters it
stores move with the alerts the test posts."""

from __future__ import annotations

import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from backend_api import create_app
from tests.api.test_alerts_alertmanager_live import request, wait_for
from tests.conftest import TEST_TOKEN, free_port, make_settings

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="prometheus is not installed")

CONFIG = """\
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: opsforge
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


@pytest.fixture
def opsforge(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    app = create_app(make_settings(tmp_path))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the API to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def prometheus(tmp_path: Path, opsforge: str) -> Iterator[str]:
    assert PROMETHEUS is not None
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.format(port=opsforge.rsplit(":", 1)[1]))
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def query(prometheus: str, expr: str) -> float | None:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        answer = request(url)
    except OSError:
        return None  # not up yet
    result = answer["data"]["result"] if answer else []
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_the_ingest_counters(opsforge: str, prometheus: str) -> None:
    with urllib.request.urlopen(f"{opsforge}/metrics", timeout=10) as answer:
        text = answer.read().decode()
        assert answer.headers.get_content_type() == "text/plain"
    assert "# TYPE opsforge_ingest_seconds histogram" in text and "opsforge_guardrail_blocks_total{" not in text
    for n in range(3):
        alert = {"labels": {"alertname": f"A{n}", "tenant": "t"}, "startsAt": "2026-05-01T12:00:00Z"}
        request(f"{opsforge}/api/alerts", [alert], method="POST", token=TEST_TOKEN)
    assert wait_for(lambda: query(prometheus, 'up{job="opsforge"}'), "the first scrape", 60) == 1.0
    assert wait_for(lambda: query(prometheus, 'opsforge_ingest_requests_total{status="202"}'), "ingest", 60) == 3.0
    assert wait_for(lambda: query(prometheus, "opsforge_ingest_seconds_count"), "latency", 60) == 3.0

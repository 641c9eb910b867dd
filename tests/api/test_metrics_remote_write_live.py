"""A real Prometheus pushes to `POST /api/metrics/remote-write`; OpsForge forecasts the pushed disk's crossing.

Debian's Prometheus scrapes the node exporter's textfile collector every 250 ms, where a disk fills at a
rate the test chose, and remote-writes it (relabelled metric="disk", with the API's bearer token) to
OpsForge served by uvicorn on a loopback port. The time the fill really reaches 90 % lies inside the
interval of the risk OpsForge opens, and the series is labelled with its source.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from backend_api import create_app
from data.remote_write import encode
from tests.conftest import free_port, make_settings
from tests.live_prometheus import MISSING, ControlledFill, Fill, node_exporter, prometheus, wait_for

TOKEN = "remote-write-token"
REMOTE_WRITE = """\
remote_write:
  - url: {url}/api/metrics/remote-write
    authorization:
      credentials: {token}
    queue_config:
      batch_send_deadline: 250ms
      min_backoff: 100ms
      max_backoff: 1s
    write_relabel_configs:
      - source_labels: [__name__]
        regex: opsforge_test_disk_used_percent
        action: keep
      - target_label: metric
        replacement: disk
"""


def post(url: str, body: bytes, token: str | None = TOKEN) -> tuple[int, Any]:
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=10) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def opsforge(tmp_path: Path) -> Iterator[str]:
    """Serve the API (SQLite, bearer token, no simulator, forecasts every second) on a loopback port."""
    port = free_port()
    app = create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN=TOKEN, FORECAST_INTERVAL_S=1))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the API to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_remote_write_bodies_are_stored_and_bad_ones_refused(opsforge: str) -> None:
    url = f"{opsforge}/api/metrics/remote-write"
    now_ms = int(time.time() * 1000)
    body = encode([({"__name__": "node_disk", "instance": "db-3:9100", "metric": "disk"}, [(now_ms, 42.5)])])
    assert post(url, body, token=None)[0] == 401
    status, answer = post(url, body)
    assert status == 202 and answer == {"accepted": 1, "skipped_nonfinite": 0, "skipped_unnamed": 0}
    status, answer = post(url, b"\x05not snappy")
    assert status == 422 and "body" in json.dumps(answer)
    detail = get(f"{opsforge}/api/forecasts/db-3/disk")
    assert [p["value"] for p in detail["history"]] == [42.5] and detail["source"] == "prometheus-remote-write"


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_a_real_prometheus_pushes_a_filling_disk_and_its_crossing_is_forecast(tmp_path: Path, opsforge: str) -> None:
    now = time.time()
    fill = Fill(host="web-8", t0=now, start=50.0, rate=1.0, noise=0.05, seed=8)  # 90 % in 40 s
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    writer = ControlledFill(textfiles, [fill])
    try:
        with (
            node_exporter(textfiles) as target,
            prometheus(tmp_path, target, scrape="250ms", remote_write=REMOTE_WRITE.format(url=opsforge, token=TOKEN)),
        ):

            def risk() -> dict[str, Any] | None:
                risks = get(f"{opsforge}/api/forecasts")["upcoming_risks"]
                return next((r for r in risks if (r["host"], r["metric"]) == ("web-8", "disk")), None)

            found = wait_for(risk, "a risk on the pushed disk", 35)
    finally:
        writer.stop()
    truth = datetime.fromtimestamp(fill.crosses(90.0), UTC)
    earliest, latest = (datetime.fromisoformat(found[k]) for k in ("eta_earliest", "eta_latest"))
    assert earliest <= truth <= latest, (earliest, truth, latest)
    assert found["source"] == "prometheus-remote-write" and found["method"] == "linear_since_reset"

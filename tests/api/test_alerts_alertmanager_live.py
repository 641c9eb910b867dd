"""A real Prometheus Alertmanager delivers to OpsForge through the receiver snippet the README documents.

Alertmanager (Debian package `prometheus-alertmanager`, which `make test` installs) runs on a loopback port with
a webhook receiver pointing at the API, served by uvicorn on another loopback port with a bearer token. Alerts
posted to Alertmanager reach OpsForge as Alertmanager groups and sends them, firing and then resolved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from backend_api import create_app
from tests.api.conftest import TOPOLOGY
from tests.conftest import free_port, make_settings

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(ALERTMANAGER is None, reason="prometheus-alertmanager is not installed")

TOKEN = "live-test-token"
T = TypeVar("T")

# The README's receiver, with the timings shortened so a test does not wait minutes for a notification.
CONFIG = """\
route:
  receiver: opsforge
  group_by: ["tenant"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: opsforge
    webhook_configs:
      - url: http://127.0.0.1:{port}/api/ingest/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: {token}
"""


def request(url: str, body: object = None, *, method: str = "GET", token: str | None = None) -> Any:
    """Send one JSON request and return the decoded JSON answer, or None for another (raises on a non-2xx)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=10) as answer:
        raw = answer.read()
        is_json = answer.headers.get_content_type() == "application/json"
    return json.loads(raw) if raw and is_json else None


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def opsforge(tmp_path: Path) -> Iterator[str]:
    """Serve the API (SQLite, bearer token, no simulator) on a loopback port; return its base URL."""
    port = free_port()
    app = create_app(make_settings(tmp_path, OPSFORGE_API_TOKEN=TOKEN))
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
def alertmanager(tmp_path: Path, opsforge: str) -> Iterator[str]:
    """Run Alertmanager with the README's webhook receiver aimed at ``opsforge``; return its base URL."""
    assert ALERTMANAGER is not None
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(port=opsforge.rsplit(":", 1)[1], token=TOKEN))
    proc = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                request(f"{base}/-/ready")
            except OSError:
                assert proc.poll() is None, "Alertmanager exited"
                return False
            return True

        wait_for(ready, "Alertmanager to start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_alertmanager_notifications_open_and_resolve_one_incident(opsforge: str, alertmanager: str) -> None:
    request(f"{opsforge}/api/topology", TOPOLOGY, method="PUT", token=TOKEN)
    onset = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    starts = [onset, onset + timedelta(seconds=70)]
    alerts = [
        {"labels": {"alertname": "PostgresDown", "service": "db", "instance": "db-1:9187", "tenant": "acme",
                    "severity": "critical"},
         "annotations": {"summary": "Postgres is down on db-1"}, "startsAt": starts[0].isoformat()},
        {"labels": {"alertname": "ApiErrorRate", "service": "api", "instance": "api-1:8080", "tenant": "acme",
                    "severity": "warning"},
         "annotations": {"summary": "API 5xx above 5%"}, "startsAt": starts[1].isoformat()},
    ]  # fmt: skip
    request(f"{alertmanager}/api/v2/alerts", alerts, method="POST")

    def stored(status: str) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = request(f"{opsforge}/api/alerts?status={status}")["items"]
        return items if len(items) == 2 else None

    firing = wait_for(lambda: stored("firing"), "Alertmanager's firing notification")
    # OpsForge keys alerts by the sender's fingerprint, so Alertmanager and OpsForge name each alert alike.
    sent = {a["labels"]["alertname"]: a["fingerprint"] for a in request(f"{alertmanager}/api/v2/alerts")}
    assert {a["labels"]["alertname"]: a["fingerprint"] for a in firing} == sent
    assert {a["startsAt"] for a in firing} == {t.strftime("%Y-%m-%dT%H:%M:%S.000Z") for t in starts}
    assert len({a["incident_id"] for a in firing}) == 1
    incident = request(f"{opsforge}/api/incidents/{firing[0]['incident_id']}")
    assert incident["alerts"] == 2 and incident["rootCauseService"] == "db" and incident["rootCauseHost"] == "db-1"

    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    request(f"{alertmanager}/api/v2/alerts", [{**a, "endsAt": ended.isoformat()} for a in alerts], method="POST")
    resolved = wait_for(lambda: stored("resolved"), "Alertmanager's resolved notification")
    assert {a["fingerprint"] for a in resolved} == set(sent.values())
    assert request(f"{opsforge}/api/alerts?status=firing")["items"] == []

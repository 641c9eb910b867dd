"""The real process: `python backend_api.py` serves, survives `kill -9` without losing what it acknowledged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT, free_port

TOKENS: dict[str, str] = {}  # base URL -> the token the server generated


@contextmanager
def server(env: dict[str, str], log_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    token_file = str(log_path.parent / "api-token")
    full_env = {**os.environ, "OPSFORGE_TOKEN_FILE": token_file, **env, "PORT": str(port), "TERMINAL_OUTPUT": "none"}
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "backend_api.py"], cwd=REPO_ROOT, env=full_env, stdout=log_file, stderr=log_file
        )
    base = f"http://127.0.0.1:{port}"
    TOKENS[base] = ""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=1) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}") from None
            time.sleep(0.1)
    if Path(token_file).exists():
        TOKENS[base] = Path(token_file).read_text().strip()
    try:
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """Send one JSON request with ``token`` (default: the generated one in the test's folder); return the JSON."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token or TOKENS[base]}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_kill_minus_nine_keeps_acknowledged_state(tmp_path: Path) -> None:
    env = {"KB_BACKEND": "sqlite", "KB_PATH": str(tmp_path / "kb.sqlite3"), "SIM_AUTOSTART": "false"}
    with server(env, tmp_path / "server.log") as (proc, base):
        answer = call(base, "PUT", "/api/kill-switch", {"active": True, "reason": "change freeze", "actor": "ops"})
        assert answer["active"] is True
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with server(env, tmp_path / "server.log") as (_, base):
        status = call(base, "GET", "/api/kill-switch/status")
        assert status["active"] is True and status["reason"] == "change freeze"


def test_graceful_shutdown_stops_the_simulation_thread(tmp_path: Path) -> None:
    env = {"KB_BACKEND": "memory", "SIM_AUTOSTART": "true", "SIM_SPEED": "600"}
    with server(env, tmp_path / "server.log") as (proc, base):
        assert call(base, "GET", "/api/simulation/status")["running"] is True
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0


def test_invalid_setting_stops_startup_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "KB_BACKEND": "oracle", "KB_PATH": str(tmp_path / "x.sqlite3")}
    result = subprocess.run(
        [sys.executable, "backend_api.py"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert b"KB_BACKEND" in result.stderr


def test_first_start_generates_a_private_token_printed_once(tmp_path: Path) -> None:
    env = {"KB_BACKEND": "memory", "SIM_AUTOSTART": "false", "OPSFORGE_API_TOKEN": "", "OPSFORGE_API_TOKENS": ""}
    log_path = tmp_path / "server.log"
    with server(env, log_path) as (_, base):
        token_file = tmp_path / "api-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32 and log_path.read_text().count(token) == 1
        try:
            urllib.request.urlopen(f"{base}/api/kill-switch/status", timeout=10)
            raise AssertionError("a read without the token was answered")
        except urllib.error.HTTPError as error:
            assert error.code == 401
        assert call(base, "GET", "/api/kill-switch/status", token=token)["active"] is False
        logs = call(base, "GET", "/api/logs?limit=0", token=token)["logs"]
        assert all(token not in entry["message"] for entry in logs)
    with server(env, log_path) as (_, base):
        assert token_file.read_text().strip() == token  # kept across restarts
        assert log_path.read_text().count(token) == 1  # and not printed again
        assert call(base, "GET", "/api/health")["status"] == "ok"


def test_short_token_stops_startup_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "OPSFORGE_API_TOKEN": "   ", "KB_PATH": str(tmp_path / "x.sqlite3")}
    for value in ("   ", "short-token"):
        env["OPSFORGE_API_TOKEN"] = value
        result = subprocess.run(
            [sys.executable, "backend_api.py"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=60, check=False
        )
        assert result.returncode != 0 and b"OPSFORGE_API_TOKEN" in result.stderr, result.stderr


def test_nan_or_infinity_in_a_wrongly_typed_field_is_a_422(tmp_path: Path) -> None:
    from backend_api import create_app
    from tests.conftest import api_client, make_settings

    bodies = {
        "/api/kill-switch": b'{"active": NaN, "reason": "x"}',
        "/api/kill-switch/toggle": b'{"reason": Infinity}',
        "/api/alerts": b'[{"labels": {"alertname": -Infinity}, "startsAt": "2026-05-01T12:00:00Z"}]',
        "/api/terminal-output-mode": b'{"mode": NaN}',
    }
    with api_client(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        for path, body in bodies.items():
            method = "PUT" if path == "/api/kill-switch" else "POST"
            response = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 422, (path, response.text)
            assert response.json()["detail"][0]["input"] in ("NaN", "Infinity", "-Infinity"), response.text


def test_a_wrong_method_on_an_api_route_is_405_not_the_dashboard(tmp_path: Path) -> None:
    from backend_api import create_app
    from tests.conftest import api_client, make_settings

    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html>")
    with api_client(create_app(make_settings(tmp_path, FRONTEND_DIST=dist))) as client:
        wrong = client.get("/api/kill-switch")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "PUT"
        assert client.delete("/api/health").status_code == 405
        both = client.request("OPTIONS", "/api/alerts")  # GET and POST live in two routers: both are named
        assert both.status_code == 405 and both.headers["allow"] == "GET, POST"
        assert client.get("/api/nope").status_code == 404
        assert client.get("/incidents/INC-1").text == "<!doctype html>"  # the dashboard's own routes

"""Shared fixtures: settings builders, the app with its lifespan, and a DynamoDB-compatible server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The admin token of test apps, and the host name the test client sends (added to the allowed hosts).
TEST_TOKEN = "test-admin-token-0123456789"
TEST_HOST = "testserver"
PEOPLE = {"ana": "operator", "bob": "operator", "vic": "viewer"}
PEOPLE_TOKENS = ",".join(f"{name}:{role}:{name}-token-0123456789" for name, role in PEOPLE.items())
"""`OPSFORGE_API_TOKENS` naming two operators (ana, bob) and a viewer (vic), next to `TEST_TOKEN` (admin)."""


def bearer(name: str) -> dict[str, str]:
    """Return the Authorization header of one of `PEOPLE`."""
    return {"Authorization": f"Bearer {name}-token-0123456789"}


def make_settings(tmp_path: Path, **overrides: Any) -> Any:
    """Return Settings for a test: temp SQLite file, no .env, simulator not auto-started, `TEST_TOKEN` as admin."""
    from config.settings import DEFAULT_ALLOWED_HOSTS, Settings

    values: dict[str, Any] = {
        "KB_BACKEND": "sqlite",
        "KB_PATH": tmp_path / "kb.sqlite3",
        "TERMINAL_OUTPUT": "none",
        "SIM_AUTOSTART": False,
        "FRONTEND_DIST": tmp_path / "no-dist",
        "OPSFORGE_API_TOKEN": TEST_TOKEN,
        "OPSFORGE_TOKEN_FILE": tmp_path / "api-token",
        "ALLOWED_HOSTS": f"{DEFAULT_ALLOWED_HOSTS},{TEST_HOST}",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def api_client(app: Any, token: str | None = TEST_TOKEN, **kwargs: Any) -> TestClient:
    """Return a `TestClient` for ``app`` that sends ``token`` as its bearer token (none when None)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return TestClient(app, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return make_settings(tmp_path)


# moto's own server (`python -m moto.server`) handles requests on threads, and its DynamoDB applies an update
# as read-modify-write without a lock, so concurrent ADDs to one item get lost there (they never are in
# DynamoDB, which serialises writes to an item). The same app served one request at a time has DynamoDB's
# per-item behaviour; clients still connect and send concurrently.
MOTO_SERIAL_SERVER = """
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False,
           request_handler=MotoRequestHandler)
"""


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto in server mode on a loopback port (a real HTTP DynamoDB-compatible server)."""
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "MOTO_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-c", MOTO_SERIAL_SERVER, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never reach AWS: boto3 only ever talks to the loopback moto server, which needs some credentials.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

"""The security gate: host names, origins, content types, paths, credentials and roles, and the local
dashboard session, through the app with its lifespan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.security import SESSION_COOKIE, host_name, is_loopback_host
from backend_api import create_app
from tests.conftest import api_client, make_settings

TOKENS = "vera:viewer:viewer-token-0123456789,otto:operator:operator-token-0123456789"
JSON = {"Content-Type": "application/json"}


def dashboard(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "index.html").write_text("<!doctype html><title>OpsForge</title>")
    return dist


def local_browser(tmp_path: Path, **settings: Any) -> Any:
    """A client that connects from loopback under the name localhost, with no token: the `make run` browser."""
    app = create_app(make_settings(tmp_path, FRONTEND_DIST=dashboard(tmp_path), **settings))
    return api_client(app, token=None, base_url="http://localhost:8000", client=("127.0.0.1", 50000))


def test_host_names_not_configured_are_refused(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        # DNS rebinding: the attacker's name now points at 127.0.0.1, the browser sends it as Host
        rebound = client.get("/api/kill-switch/status", headers={"Host": "attacker.example:8000"})
        assert rebound.status_code == 421 and "ALLOWED_HOSTS" in rebound.json()["detail"]
        assert client.put("/api/kill-switch", json={"active": True, "reason": "x"},
                          headers={"Host": "attacker.example"}).status_code == 421  # fmt: skip
        assert client.get("/api/health", headers={"Host": "bad host!"}).status_code == 400
        for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "LOCALHOST."):
            assert client.get("/api/health", headers={"Host": host}).status_code == 200, host
        assert client.get("/api/kill-switch/status").json()["active"] is False
    with api_client(create_app(make_settings(tmp_path, ALLOWED_HOSTS="ops.example.com"))) as client:
        assert client.get("/api/health", headers={"Host": "ops.example.com"}).status_code == 200
        assert client.get("/api/health", headers={"Host": "localhost"}).status_code == 421


def test_cross_site_requests_cannot_drive_the_control_plane(tmp_path: Path) -> None:
    with local_browser(tmp_path) as browser:
        assert browser.get("/").status_code == 200  # the dashboard: the browser now holds the session cookie
        evil = {"Origin": "http://evil.example"}
        simple = {"Content-Type": "text/plain"}  # what a page can POST without asking first
        attempts = [
            ("POST", "/api/kill-switch/toggle", {**evil, **simple}, b"{}"),
            ("POST", "/api/kill-switch/toggle", simple, b'{"reason": "x"}'),
            ("POST", "/api/kill-switch/toggle", {**evil, **JSON}, b"{}"),
            ("POST", "/api/kill-switch/toggle", {"Origin": "http://localhost:3000", **JSON}, b"{}"),  # same site
            ("POST", "/api/kill-switch/toggle", {"Origin": "null"}, None),
            ("POST", "/api/simulation/stop", {**evil, "Content-Type": "application/x-www-form-urlencoded"}, b""),
            ("POST", "/api/logs/clear", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
            ("POST", "/api/simulation/scenarios/cpu_spike", evil, None),
            ("POST", "/api/alerts", simple, b"[]"),
            ("POST", "/api/logs/clear", {}, b"{}"),  # a body without a content type
        ]
        for method, path, headers, body in attempts:
            status = browser.request(method, path, headers=headers, content=body).status_code
            assert status in (403, 415), (path, headers, status)
        assert browser.get("/api/kill-switch/status").json()["active"] is False
        # the dashboard itself: same origin, JSON or no body
        same = {"Origin": "http://localhost:8000"}
        assert browser.post("/api/kill-switch/toggle", headers={**same, **JSON}, content=b"{}").status_code == 200
        assert browser.post("/api/kill-switch/toggle", headers=same).json()["active"] is False
    with api_client(create_app(make_settings(tmp_path, CORS_ORIGIN="http://localhost:5173"))) as client:
        dev = client.post("/api/kill-switch/toggle", headers={"Origin": "http://localhost:5173"})
        assert dev.status_code == 200 and dev.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_bad_paths_are_4xx(tmp_path: Path) -> None:
    for dist in (dashboard(tmp_path), tmp_path / "none"):
        with api_client(create_app(make_settings(tmp_path, FRONTEND_DIST=dist)), raise_server_exceptions=False) as c:
            assert c.get("/%00").status_code == 400
            assert c.get("/api/%0a").status_code == 400
            assert c.get("/" + "a/" * 3000).status_code == 414
            assert c.get("/api/incidents/" + "x" * 3000).status_code == 414
            assert c.get("/" + "a/" * 500).status_code in (200, 404)  # long but under the limit: the dashboard


def test_every_api_read_needs_a_credential_but_health(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path, OPSFORGE_API_TOKENS=TOKENS)), token=None) as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        for path in ("/api/kill-switch/status", "/api/logs", "/api/metrics", "/api/incidents", "/api/alerts",
                     "/api/agents", "/api/simulation/status", "/api/audit-logs", "/api/forecasts", "/api"):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer"), path
        assert client.get("/api/logs", headers={"Authorization": "Basic dmVyYTp4"}).status_code == 401
        assert client.get("/api/logs", headers={"Cookie": f"{SESSION_COOKIE}=guess"}).status_code == 401
        viewer = {"Authorization": "Bearer viewer-token-0123456789"}
        assert client.get("/api/logs", headers=viewer).status_code == 200
        # a viewer reads, never writes: every mutating route, with or without its own check
        for method, path in (("POST", "/api/simulation/start"), ("POST", "/api/logs/clear"), ("POST", "/api/alerts"),
                             ("PUT", "/api/kill-switch"), ("POST", "/api/terminal-output-mode")):  # fmt: skip
            assert client.request(method, path, headers={**viewer, **JSON}, content=b"{}").status_code == 403, path


def test_the_local_dashboard_gets_a_strict_session_cookie(tmp_path: Path) -> None:
    with local_browser(tmp_path) as browser:
        cookie = browser.get("/").headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "test-admin-token" not in cookie  # derived from the tokens, never one of them
        assert browser.get("/api/logs").status_code == 200
        body = {"active": True, "reason": "from the dashboard", "actor": "dashboard"}
        assert browser.put("/api/kill-switch", json=body).json()["changed_by"] == "local-dashboard"
    with local_browser(tmp_path / "again") as browser:  # a restart with the same tokens: the same session
        assert browser.get("/").headers["set-cookie"] == cookie
    with local_browser(tmp_path / "other", OPSFORGE_API_TOKEN="another-token-0123456789") as browser:
        assert browser.get("/").headers["set-cookie"] != cookie  # new tokens end old sessions
    app = create_app(make_settings(tmp_path / "remote", FRONTEND_DIST=dashboard(tmp_path / "remote")))
    for client in (("192.0.2.7", 50000), ("testclient", 50000)):  # another machine, or a peer we cannot place
        with api_client(app, token=None, base_url="http://localhost:8000", client=client) as remote:
            assert "set-cookie" not in remote.get("/").headers
            assert remote.get("/api/logs").status_code == 401
    # a reverse proxy on this machine forwarding a public name: its users are remote
    with api_client(app, token=None, base_url="http://testserver", client=("127.0.0.1", 50000)) as proxied:
        assert "set-cookie" not in proxied.get("/").headers
    with local_browser(tmp_path / "off", DASHBOARD_AUTO_LOGIN=False) as browser:
        assert "set-cookie" not in browser.get("/").headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [("localhost", "localhost"), ("LocalHost:8000", "localhost"), ("[::1]:80", "::1"), ("127.0.0.1:1", "127.0.0.1"),
     ("a b", None), ("", None), ("host:port", None), ("[::1", None)],
)  # fmt: skip
def test_host_name(header: str, expected: str | None) -> None:
    assert host_name(header) == expected


def test_loopback_hosts() -> None:
    assert is_loopback_host("localhost") and is_loopback_host("127.0.0.2") and is_loopback_host("::1")
    assert not is_loopback_host("192.0.2.1") and not is_loopback_host("localhost.example.com")


def test_only_remote_write_takes_a_protobuf_body_and_it_still_needs_an_operator(tmp_path: Path) -> None:
    protobuf = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}
    with api_client(create_app(make_settings(tmp_path, OPSFORGE_API_TOKENS=TOKENS)), token=None) as client:
        assert client.post("/api/metrics/samples", headers=protobuf, content=b"x").status_code == 415
        assert client.post("/api/alerts", headers=protobuf, content=b"x").status_code == 415
        assert client.post("/api/metrics/remote-write", headers=protobuf, content=b"x").status_code == 401
        viewer = {**protobuf, "Authorization": "Bearer viewer-token-0123456789"}
        assert client.post("/api/metrics/remote-write", headers=viewer, content=b"x").status_code == 403
        operator = {**protobuf, "Authorization": "Bearer operator-token-0123456789"}
        assert client.post("/api/metrics/remote-write", headers=operator, content=b"x").status_code == 422  # not snappy
        text = {"Content-Type": "text/plain", "Authorization": "Bearer operator-token-0123456789"}
        assert client.post("/api/metrics/remote-write", headers=text, content=b"x").status_code == 415

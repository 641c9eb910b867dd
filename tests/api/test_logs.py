"""The log panel endpoints: recent entries, filters, clearing, mode, and the SSE stream."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from backend_api import create_app
from tests.conftest import api_client, make_settings

log = logging.getLogger("opsforge.tests")


def test_logs_filter_limit_and_clear(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        client.post("/api/logs/clear")
        for n in range(5):
            log.info("incident %d", n, extra={"log_type": "INCIDENT", "agent": "AlertOps"})
        log.warning("disk almost full")
        body = client.get("/api/logs", params={"limit": 2, "log_type": "INCIDENT"}).json()
        assert body["filter"] == "INCIDENT" and body["count"] == 2
        assert [e["message"] for e in body["logs"]] == ["incident 3", "incident 4"]
        assert body["logs"][0]["agent"] == "AlertOps" and body["logs"][0]["timestamp"].endswith("Z")
        everything = client.get("/api/logs").json()
        assert everything["filter"] == "ALL" and everything["logs"][-1]["type"] == "WARNING"
        assert client.post("/api/logs/clear").json() == {"status": "cleared"}
        assert client.get("/api/logs").json()["count"] == 0


def test_terminal_output_mode(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        assert client.get("/api/terminal-output-mode").json()["mode"] == "none"
        changed = client.post("/api/terminal-output-mode", json={"mode": "selective"}).json()
        assert changed == {"mode": "selective", "message": "Terminal output mode set to 'selective'"}
        assert client.get("/api/terminal-output-mode").json()["mode"] == "selective"


def test_stream_resumes_after_last_event_id(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path))) as client:
        for n in range(3):
            log.info("line %d", n, extra={"log_type": "INFO"})
        seqs = [e["seq"] for e in client.get("/api/logs").json()["logs"]]
        with client.stream("GET", "/api/logs/stream", headers={"Last-Event-ID": str(seqs[-3])}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = []
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                if len(events) == 2:
                    break
        assert [e["message"] for e in events] == ["line 1", "line 2"]


def test_a_non_ascii_digit_last_event_id_is_ignored_not_a_500(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        log.info("only line", extra={"log_type": "INFO"})
        # Header bytes are read as Latin-1: b"\xb2" is "²", a digit to str.isdigit() that int() refuses.
        for bad in ("²", "³1", "1" * 40):
            with client.stream(
                "GET", "/api/logs/stream", headers={b"Last-Event-ID": bad.encode("latin-1")}
            ) as response:
                assert response.status_code == 200
                first = next(line for line in response.iter_lines() if line.startswith("data: "))
            assert json.loads(first[6:])["seq"] >= 1  # the tail is sent, as without a Last-Event-ID

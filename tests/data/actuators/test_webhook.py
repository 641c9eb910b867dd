"""`WebhookActuator` against a real HTTP server on loopback that checks the signature on its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from data.actuators import WebhookActuator, sign, verify_signature
from data.errors import InvalidInput
from data.models import Action, ActionStatus

SECRET = b"0123456789abcdef-shared"


class Receiver:
    """A runbook service: checks the HMAC itself (not with the code under test) and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = (200, b'{"execution": "EX-1", "state": "succeeded"}')
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-OpsForge-Timestamp"]
                expected = hmac.new(SECRET, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(self.headers["X-OpsForge-Signature"], f"sha256={expected}")
                receiver.requests.append({"body": json.loads(body), "valid": valid, "headers": dict(self.headers)})
                time.sleep(receiver.delay)
                code, text = receiver.answer if valid else (401, b"bad signature")
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/opsforge"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, name="receiver")
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(5)


ACTION = Action(
    action_id="ACT-7", action_type="restart_service", agent="TaskOps", target="web-1", params={"service": "nginx"},
    incident_id="INC-1",
)  # fmt: skip


def test_signed_request_is_accepted_and_the_response_recorded(receiver: Receiver) -> None:
    result = WebhookActuator(receiver.url, SECRET, tenant="acme").apply(ACTION)
    assert result.status is ActionStatus.COMPLETED
    (request,) = receiver.requests
    assert request["valid"] and request["headers"]["Idempotency-Key"] == "ACT-7"
    assert request["body"]["params"] == {"service": "nginx"} and request["body"]["tenant"] == "acme"
    assert result.log == [f"POST {receiver.url} -> HTTP 200", '{"execution": "EX-1", "state": "succeeded"}']


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: Receiver) -> None:
    result = WebhookActuator(receiver.url, b"another-secret-entirely").apply(ACTION)
    assert result.status is ActionStatus.FAILED and not result.transient
    assert receiver.requests[0]["valid"] is False and "HTTP 401" in result.message


@pytest.mark.parametrize(("code", "transient"), [(500, True), (503, True), (429, True), (400, False), (404, False)])
def test_failures_say_whether_a_retry_may_help(receiver: Receiver, code: int, transient: bool) -> None:
    receiver.answer = (code, b"runbook says no")
    result = WebhookActuator(receiver.url, SECRET).apply(ACTION)
    assert result.status is ActionStatus.FAILED and result.transient is transient
    assert result.log[-1] == "runbook says no"


def test_a_slow_receiver_times_out_as_transient(receiver: Receiver) -> None:
    receiver.delay = 1.0
    result = WebhookActuator(receiver.url, SECRET, timeout_s=0.2).apply(ACTION)
    assert result.status is ActionStatus.FAILED and result.transient


def test_nobody_listening_is_transient() -> None:
    from tests.conftest import free_port

    result = WebhookActuator(f"http://127.0.0.1:{free_port()}/", SECRET, timeout_s=2).apply(ACTION)
    assert result.status is ActionStatus.FAILED and result.transient


def test_verify_signature_refuses_replays_and_tampering() -> None:
    body = b'{"a":1}'
    signature = sign(SECRET, "1000", body)
    assert verify_signature(SECRET, "1000", body, signature, now=1100)
    assert not verify_signature(SECRET, "1000", body, signature, now=1000 + 301)  # replayed later
    assert not verify_signature(SECRET, "1001", body, signature, now=1001)  # timestamp changed
    assert not verify_signature(SECRET, "1000", b'{"a":2}', signature, now=1000)  # body changed
    assert not verify_signature(SECRET, "soon", body, signature, now=1000)


def test_template_parameters_are_refused_before_sending(receiver: Receiver) -> None:
    bad = ACTION.model_copy(update={"params": {"cmd": "{{ evil }}"}})
    with pytest.raises(InvalidInput):
        WebhookActuator(receiver.url, SECRET).apply(bad)
    assert receiver.requests == []

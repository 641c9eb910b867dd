"""`WebhookActuator`: an action becomes a signed JSON POST to a runbook service; the response is recorded.

The body is JSON (``action_id``, ``action_type``, ``target``, ``params``, ``tenant``, ``incident_id``,
``sent_at``). Headers: ``X-OpsForge-Timestamp`` (Unix seconds) and ``X-OpsForge-Signature``
(``sha256=`` + hex HMAC-SHA256 with the shared secret over ``<timestamp>.<body>``), and
``Idempotency-Key`` (the action id). A receiver checks both with `verify_signature`, which refuses a
timestamp outside its tolerance, so a captured request cannot be replayed later; within the tolerance the
receiver de-duplicates on the idempotency key.

2xx is success; a timeout, a connection error, 408, 429 and 5xx are transient failures (worth a retry);
other statuses are failures. Redirects are not followed (the signature names one receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from data.actuation import ActionResult
from data.actuators.params import check_params, check_target
from data.models import Action, ActionStatus, LogType
from data.timeutil import iso_z, utc_now

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-OpsForge-Timestamp"
SIGNATURE_HEADER = "X-OpsForge-Signature"
MAX_RESPONSE_BYTES = 16 * 1024
_TRANSIENT = {408, 429}


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``: ``sha256=<hex>``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: bytes, timestamp: str, body: bytes, signature: str, *, now: float, tolerance_s: float = 300.0
) -> bool:
    """Return True when ``signature`` is ours for ``body`` and ``timestamp`` is within ``tolerance_s`` of ``now``."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookActuator:
    """Posts each action to one URL, signed with a shared secret. Thread-safe."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        tenant: str | None = None,
        timeout_s: float = 10.0,
        now: Callable[[], datetime] = utc_now,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("webhook url must start with http:// or https://")
        self._url = url
        self._secret = secret
        self._tenant = tenant
        self._timeout = timeout_s
        self._now = now
        self._epoch = epoch
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request_body(self, action: Action) -> bytes:
        """Return the JSON body sent for ``action``."""
        body = {
            "action_id": action.action_id, "action_type": action.action_type, "target": action.target,
            "params": check_params(action.params), "tenant": self._tenant, "incident_id": action.incident_id,
            "sent_at": iso_z(self._now()),
        }  # fmt: skip
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()

    def apply(self, action: Action) -> ActionResult:
        """Post the action and return the receiver's answer as the result (its status and body in the log)."""
        check_target(action.target)
        started = self._now()
        body = self.request_body(action)
        timestamp = str(int(self._epoch()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            "Idempotency-Key": action.action_id,
        }
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                code, text = int(response.status), response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            code, text = error.code, error.read(MAX_RESPONSE_BYTES)
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            return self._result(action, started, ActionStatus.FAILED, True, f"no answer from runbook: {reason}", [])
        answer = text.decode("utf-8", errors="replace")
        lines = [f"POST {self._url} -> HTTP {code}", *answer.splitlines()[:200]]
        if 200 <= code < 300:
            return self._result(action, started, ActionStatus.COMPLETED, False, f"runbook accepted: HTTP {code}", lines)
        transient = code in _TRANSIENT or code >= 500
        return self._result(action, started, ActionStatus.FAILED, transient, f"runbook refused: HTTP {code}", lines)

    def _result(
        self, action: Action, started: datetime, status: ActionStatus, transient: bool, message: str, lines: list[str]
    ) -> ActionResult:
        kind = LogType.SUCCESS if status is ActionStatus.COMPLETED else LogType.WARNING
        log.info("Webhook %s on %s: %s", action.action_type, action.target, message, extra={"log_type": kind})
        return ActionResult(
            action_id=action.action_id, action_type=action.action_type, target=action.target, status=status,
            transient=transient, message=message, hosts=[action.target], executed_at=started, log=lines,
        )  # fmt: skip

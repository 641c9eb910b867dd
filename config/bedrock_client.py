"""Narration: prose for an incident written from facts that are already computed.

A `Narrator` turns `IncidentFacts` into a `Narrative` (a summary and the root-cause prose). Nothing
decides on its output: the numbers, the root cause and the actions exist before it is called. The
`TemplateNarrator` is deterministic and always available; the `BedrockNarrator` asks a model through
the Bedrock Converse API and falls back to the template when Bedrock is off, throttled past its retries,
failing, slow or busy. Every narrative says which narrator wrote it. boto3 is imported only by
`build_narrator` when Bedrock is enabled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

TEMPLATE_SOURCE = "template"
# Errors Bedrock documents as worth a retry; anything else falls back at once.
RETRYABLE_CODES = frozenset({"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException"})
SYSTEM_PROMPT = (
    "You write short incident notes for IT operators. Use only the facts given; do not invent numbers, "
    "hosts or causes. Answer in exactly two sections, each starting on its own line with its header: "
    "'SUMMARY:' (two or three sentences) and 'ROOT CAUSE:' (one or two sentences saying why this "
    "service or host, and what else was considered)."
)


@dataclass(frozen=True)
class IncidentFacts:
    """What is known about an incident when it is narrated; every field was computed elsewhere."""

    incident_id: str
    title: str
    severity: str
    status: str
    tenant: str | None
    services: Sequence[str]
    hosts: Sequence[str]
    alert_count: int
    root_cause: str | None = None
    root_cause_service: str | None = None
    root_cause_host: str | None = None
    confidence: float | None = None
    actions: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Narrative:
    """The prose sections of an incident and who wrote them (``template`` or ``bedrock:<model id>``)."""

    summary: str
    root_cause: str
    source: str
    fallback_reason: str | None = None


class Narrator(Protocol):
    def narrate(self, facts: IncidentFacts) -> Narrative:
        """Return the narrative of ``facts``; never raises."""


def _listing(items: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


class TemplateNarrator:
    """Deterministic narration: the same facts always give the same text."""

    def narrate(self, facts: IncidentFacts, *, fallback_reason: str | None = None) -> Narrative:
        scope = f" for tenant {facts.tenant}" if facts.tenant else ""
        where = _listing(list(facts.services)) or "no named service"
        summary = (
            f"{facts.severity.capitalize()} incident{scope}: {facts.title}. "
            f"{facts.alert_count} alert{'s' if facts.alert_count != 1 else ''} grouped across {where}; "
            f"status {facts.status}."
        )
        if facts.actions:
            summary += f" Actions taken: {_listing(list(facts.actions))}."
        target = facts.root_cause_host or facts.root_cause_service
        if facts.root_cause:
            root = facts.root_cause
        elif target:
            root = f"Most likely root cause: {target}."
        else:
            root = "No root cause identified yet."
        if facts.confidence is not None:
            root += f" Confidence {facts.confidence:.0%}."
        return Narrative(summary=summary, root_cause=root, source=TEMPLATE_SOURCE, fallback_reason=fallback_reason)


def facts_prompt(facts: IncidentFacts) -> str:
    """Return the user message that carries ``facts`` to the model, one fact per line."""
    lines = [
        f"Incident: {facts.incident_id} - {facts.title}",
        f"Severity: {facts.severity}; status: {facts.status}; tenant: {facts.tenant or 'unknown'}",
        f"Alerts grouped: {facts.alert_count}",
        f"Services: {', '.join(facts.services) or 'none'}",
        f"Hosts: {', '.join(facts.hosts) or 'none'}",
        f"Root cause (computed): {facts.root_cause or 'none'}",
        f"Root-cause service: {facts.root_cause_service or 'none'}; host: {facts.root_cause_host or 'none'}",
        f"Confidence: {'unknown' if facts.confidence is None else f'{facts.confidence:.2f}'}",
        f"Actions taken: {', '.join(facts.actions) or 'none'}",
    ]
    return "\n".join(lines)


def parse_sections(text: str) -> tuple[str, str] | None:
    """Return (summary, root cause) from a model answer with both headers, or None when one is missing."""
    upper = text.upper()
    s_at, r_at = upper.find("SUMMARY:"), upper.find("ROOT CAUSE:")
    if s_at < 0 or r_at < 0:
        return None
    if s_at < r_at:
        summary, root = text[s_at + 8 : r_at], text[r_at + 11 :]
    else:
        root, summary = text[r_at + 11 : s_at], text[s_at + 8 :]
    summary, root = summary.strip(), root.strip()
    return (summary, root) if summary and root else None


class BedrockNarrator:
    """Narration by a Bedrock model through the Converse API, with the template as its fallback.

    ``client`` is a boto3 ``bedrock-runtime`` client (its own retries off, timeouts set by the caller);
    throttling is retried here ``max_attempts`` times with exponential back-off, at most
    ``max_concurrency`` calls run at once (a call over the cap falls back instead of queueing), and
    any other error or an answer without both sections falls back to the template.
    """

    def __init__(
        self,
        client: Any,
        model_id: str,
        *,
        max_concurrency: int = 2,
        max_attempts: int = 3,
        backoff_s: float = 0.5,
        max_tokens: int = 400,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._model_id = model_id
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_tokens = max_tokens
        self._sleep = sleep
        self._template = TemplateNarrator()

    @property
    def source(self) -> str:
        return f"bedrock:{self._model_id}"

    def narrate(self, facts: IncidentFacts) -> Narrative:
        if not self._slots.acquire(blocking=False):
            return self._template.narrate(facts, fallback_reason="busy: concurrency cap reached")
        try:
            return self._narrate(facts)
        finally:
            self._slots.release()

    def _narrate(self, facts: IncidentFacts) -> Narrative:
        from botocore.exceptions import BotoCoreError, ClientError

        request = {
            "modelId": self._model_id,
            "system": [{"text": SYSTEM_PROMPT}],
            "messages": [{"role": "user", "content": [{"text": facts_prompt(facts)}]}],
            "inferenceConfig": {"maxTokens": self._max_tokens, "temperature": 0.2},
        }
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.converse(**request)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in RETRYABLE_CODES and attempt < self._max_attempts:
                    self._sleep(self._backoff_s * 2 ** (attempt - 1))
                    continue
                log.warning("bedrock narration failed: %s", code or error)
                return self._template.narrate(facts, fallback_reason=f"bedrock error: {code or 'unknown'}")
            except BotoCoreError as error:  # connection and read timeouts
                log.warning("bedrock narration failed: %s", error)
                return self._template.narrate(facts, fallback_reason=f"bedrock unavailable: {type(error).__name__}")
            sections = parse_sections(_answer_text(response))
            if sections is None:
                return self._template.narrate(facts, fallback_reason="bedrock answer without both sections")
            return Narrative(summary=sections[0], root_cause=sections[1], source=self.source)
        raise AssertionError("unreachable: the last attempt returns")


def _answer_text(response: dict[str, Any]) -> str:
    content = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(block.get("text", "") for block in content if isinstance(block, dict))


class DeadlineNarrator:
    """Runs another narrator on a worker thread and answers with the template when it is too slow.

    The caller never waits longer than ``deadline_s``; a late answer is dropped.
    """

    def __init__(self, inner: Narrator, deadline_s: float, workers: int = 2) -> None:
        self._inner = inner
        self._deadline_s = deadline_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="narrator")
        self._template = TemplateNarrator()

    def narrate(self, facts: IncidentFacts) -> Narrative:
        future: Future[Narrative] = self._pool.submit(self._inner.narrate, facts)
        try:
            return future.result(timeout=self._deadline_s)
        except FutureTimeout:
            return self._template.narrate(facts, fallback_reason=f"narrator slower than {self._deadline_s:g} s")
        except Exception:  # a narrator must never break its caller
            log.exception("narrator failed")
            return self._template.narrate(facts, fallback_reason="narrator failed")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def build_narrator(settings: Settings) -> Narrator:
    """Return the template narrator, or Bedrock behind a deadline when ``BEDROCK_ENABLED``."""
    if not settings.BEDROCK_ENABLED:
        return TemplateNarrator()
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=settings.BEDROCK_TIMEOUT_S,
        read_timeout=settings.BEDROCK_TIMEOUT_S,
        retries={"max_attempts": 1, "mode": "standard"},  # throttling is retried by BedrockNarrator
    )
    client = boto3.client("bedrock-runtime", region_name=settings.AWS_REGION, config=config)
    bedrock = BedrockNarrator(client, settings.BEDROCK_MODEL_ID, max_concurrency=settings.BEDROCK_MAX_CONCURRENCY)
    return DeadlineNarrator(bedrock, deadline_s=settings.BEDROCK_TIMEOUT_S * 2)

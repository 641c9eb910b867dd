"""Narration: the Bedrock Converse call checked by botocore's Stubber against the real service model,
throttling, errors, slowness and the template fallback. No AWS credentials are needed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from config.bedrock_client import (
    TEMPLATE_SOURCE,
    BedrockNarrator,
    DeadlineNarrator,
    IncidentFacts,
    Narrative,
    TemplateNarrator,
    build_narrator,
    facts_prompt,
    parse_sections,
)
from config.settings import Settings

MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"
FACTS = IncidentFacts(
    incident_id="inc-1",
    title="db-1 disk full",
    severity="high",
    status="open",
    tenant="acme",
    services=["acme-db", "acme-api"],
    hosts=["db-1", "api-1"],
    alert_count=7,
    root_cause="acme-db on db-1: the first to alert, and every other alert is downstream of it",
    root_cause_service="acme-db",
    root_cause_host="db-1",
    confidence=0.82,
    actions=["cleanup_disk"],
)


def answer(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 120, "outputTokens": 60, "totalTokens": 180},
        "metrics": {"latencyMs": 350},
    }


@pytest.fixture
def client() -> Iterator[Any]:
    real = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    yield real


def expected_request() -> dict[str, Any]:
    return {
        "modelId": MODEL,
        "system": ANY,
        "messages": [{"role": "user", "content": [{"text": facts_prompt(FACTS)}]}],
        "inferenceConfig": ANY,
    }


def test_bedrock_writes_both_sections_and_says_so(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            answer("SUMMARY: The database disk filled up.\nROOT CAUSE: db-1 ran out of space first."),
            expected_request(),
        )
        narrative = BedrockNarrator(client, MODEL).narrate(FACTS)
        stub.assert_no_pending_responses()
    assert narrative == Narrative("The database disk filled up.", "db-1 ran out of space first.", f"bedrock:{MODEL}")


def test_throttling_is_retried_with_backoff(client: Any) -> None:
    waits: list[float] = []
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        stub.add_response("converse", answer("SUMMARY: s\nROOT CAUSE: r"), expected_request())
        narrative = BedrockNarrator(client, MODEL, max_attempts=3, backoff_s=0.5, sleep=waits.append).narrate(FACTS)
        stub.assert_no_pending_responses()
    assert narrative.source == f"bedrock:{MODEL}" and waits == [0.5, 1.0]


def test_throttling_past_the_retries_falls_back_to_the_template(client: Any) -> None:
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        narrative = BedrockNarrator(client, MODEL, max_attempts=3, sleep=lambda _: None).narrate(FACTS)
    assert narrative.source == TEMPLATE_SOURCE
    assert narrative.fallback_reason == "bedrock error: ThrottlingException"
    assert narrative.summary == TemplateNarrator().narrate(FACTS).summary


def test_an_access_error_is_not_retried(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code="AccessDeniedException", http_status_code=403)
        waits: list[float] = []
        narrative = BedrockNarrator(client, MODEL, sleep=waits.append).narrate(FACTS)
        stub.assert_no_pending_responses()
    assert narrative.source == TEMPLATE_SOURCE and "AccessDeniedException" in (narrative.fallback_reason or "")
    assert waits == []


def test_an_answer_without_both_sections_falls_back(client: Any) -> None:
    with Stubber(client) as stub:
        stub.add_response("converse", answer("The disk is full."), expected_request())
        narrative = BedrockNarrator(client, MODEL).narrate(FACTS)
    assert narrative.source == TEMPLATE_SOURCE and narrative.fallback_reason == "bedrock answer without both sections"


def test_calls_over_the_concurrency_cap_fall_back_instead_of_queueing() -> None:
    release = threading.Event()
    entered = threading.Event()

    class Blocking:
        def converse(self, **_: Any) -> dict[str, Any]:
            entered.set()
            release.wait(5)
            return answer("SUMMARY: s\nROOT CAUSE: r")

    narrator = BedrockNarrator(Blocking(), MODEL, max_concurrency=1)
    first: list[Narrative] = []
    worker = threading.Thread(target=lambda: first.append(narrator.narrate(FACTS)))
    worker.start()
    assert entered.wait(5)
    second = narrator.narrate(FACTS)
    release.set()
    worker.join(5)
    assert second.source == TEMPLATE_SOURCE and second.fallback_reason == "busy: concurrency cap reached"
    assert first[0].source == f"bedrock:{MODEL}"


def test_a_slow_narrator_never_holds_its_caller_past_the_deadline() -> None:
    release = threading.Event()

    class Slow:
        def narrate(self, facts: IncidentFacts) -> Narrative:
            release.wait(5)
            return Narrative("late", "late", "bedrock:x")

    narrator = DeadlineNarrator(Slow(), deadline_s=0.05)
    try:
        narrative = narrator.narrate(FACTS)
    finally:
        release.set()
        narrator.close()
    assert narrative.source == TEMPLATE_SOURCE and narrative.fallback_reason == "narrator slower than 0.05 s"


def test_the_template_is_deterministic_and_uses_only_the_facts() -> None:
    one, two = TemplateNarrator().narrate(FACTS), TemplateNarrator().narrate(FACTS)
    assert one == two and one.source == TEMPLATE_SOURCE
    assert "7 alerts" in one.summary and "acme-db" in one.summary and "cleanup_disk" in one.summary
    assert one.root_cause.startswith(FACTS.root_cause or "") and "82%" in one.root_cause


def test_the_template_without_a_root_cause_says_so() -> None:
    bare = IncidentFacts("inc-2", "x", "low", "open", None, [], [], 1)
    assert TemplateNarrator().narrate(bare).root_cause == "No root cause identified yet."


def test_sections_parse_in_either_order() -> None:
    assert parse_sections("ROOT CAUSE: r\nSUMMARY: s") == ("s", "r")
    assert parse_sections("SUMMARY:  \nROOT CAUSE: r") is None


def test_bedrock_off_builds_the_template_and_never_imports_a_client() -> None:
    assert isinstance(build_narrator(Settings(BEDROCK_ENABLED=False)), TemplateNarrator)


def test_the_seed_name_of_the_model_setting_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRANDS_MODEL_ID", "amazon.nova-lite-v1:0")
    assert Settings().BEDROCK_MODEL_ID == "amazon.nova-lite-v1:0"

"""The knowledge-base fixture every store contract test runs on: memory, SQLite file, DynamoDB over HTTP (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from config.knowledge_base import KnowledgeBase, build_knowledge_base
from tests.conftest import make_settings


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def open_kb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], KnowledgeBase]]:
    """Return a function that opens a knowledge base on this test's backend; each call is a new connection
    to the same data (another process or machine), except for memory, whose data lives in one store object."""
    overrides: dict[str, Any] = {"KB_BACKEND": request.param}
    if request.param == "dynamodb":
        import boto3

        from config.dynamodb_schema import create_table

        endpoint = request.getfixturevalue("moto_endpoint")
        table = f"kb-{uuid.uuid4().hex[:8]}"
        create_table(boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint), table)
        overrides.update(DYNAMODB_TABLE=table, AWS_ENDPOINT_URL=endpoint, AWS_REGION="eu-west-1")
    settings = make_settings(tmp_path, **overrides)
    opened: list[KnowledgeBase] = []

    def open_one() -> KnowledgeBase:
        # memory: a second writer over the same data, with its own lock
        shared = request.param == "memory" and opened
        kb = KnowledgeBase(opened[0].store) if shared else build_knowledge_base(settings)
        opened.append(kb)
        return kb

    yield open_one
    for kb in {id(kb.store): kb for kb in opened}.values():
        kb.close()


@pytest.fixture
def kb(open_kb: Callable[[], KnowledgeBase]) -> KnowledgeBase:
    return open_kb()

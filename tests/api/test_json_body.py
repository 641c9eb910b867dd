"""One-pass JSON body validation: content types, 422 error shape, OpenAPI schema inlining."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter

from api.json_body import JsonBody, is_json_content_type, openapi_request_body, validate_body


class Point(BaseModel):
    x: int
    tags: list[str] = Field(default_factory=list, max_length=2)


class Tree(BaseModel):
    children: list[Tree] = Field(default_factory=list)


POINTS = TypeAdapter(list[Point])


def errors(body: JsonBody) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationError) as raised:
        validate_body(POINTS, body)
    return list(raised.value.errors())


@pytest.mark.parametrize(
    ("header", "expected"),
    [("application/json", True), ("Application/JSON; charset=utf-8", True), ("application/problem+json", True),
     ("text/plain", False), ("application/x-www-form-urlencoded", False), ("json", False), ("", False),
     (None, False)],
)  # fmt: skip
def test_only_json_content_types_are_json(header: str | None, expected: bool) -> None:
    assert is_json_content_type(header) is expected


def test_valid_body_is_validated_from_its_text() -> None:
    points = validate_body(POINTS, JsonBody(b'[{"x": 1}, {"x": 2, "tags": ["a"]}]', is_json=True))
    assert points == [Point(x=1), Point(x=2, tags=["a"])]


def test_errors_are_located_under_body_and_never_echo_a_whole_body_or_list() -> None:
    deep = errors(JsonBody(b'[{"x": 1}, {"x": "many"}]', is_json=True))
    assert [(e["loc"], e["type"], e["input"]) for e in deep] == [(("body", 1, "x"), "int_parsing", "many")]
    too_long = errors(JsonBody(b'[{"x": 1, "tags": ["a", "b", "c"]}]', is_json=True))
    assert too_long[0]["loc"] == ("body", 0, "tags") and too_long[0]["input"] is None
    top = errors(JsonBody(b'{"x": 1}', is_json=True))
    assert top[0]["loc"] == ("body",) and top[0]["type"] == "list_type" and top[0]["input"] is None
    broken = errors(JsonBody(b'[{"x": 1', is_json=True))
    assert broken[0]["loc"] == ("body",) and broken[0]["type"] == "json_invalid" and broken[0]["input"] is None
    assert errors(JsonBody(b"", is_json=True))[0]["type"] == "missing"
    assert errors(JsonBody(b'[{"x": 1}]', is_json=False))[0]["type"] == "content_type"


def test_openapi_body_is_self_contained_and_refuses_recursive_schemas() -> None:
    extra = openapi_request_body(POINTS)
    schema = extra["requestBody"]["content"]["application/json"]["schema"]
    assert extra["requestBody"]["required"] is True and "$ref" not in json.dumps(schema)
    assert schema["type"] == "array" and schema["items"]["title"] == "Point" and schema["items"]["required"] == ["x"]
    assert "422" in extra["responses"]
    with pytest.raises(ValueError, match="recursive"):
        openapi_request_body(TypeAdapter(Tree))

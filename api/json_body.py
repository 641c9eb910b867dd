"""JSON request bodies validated in one pass from their text, with the 422 that FastAPI's own body validation gives.

A route that declares a pydantic body has it decoded into Python objects (``json.loads``) and then validated
into models, two passes over every value. For bulk routes the body is read raw instead (`read_json_body`) and
validated straight from its JSON text by a `pydantic.TypeAdapter` (`validate_body`). What a client sees is
unchanged: 422 with ``detail`` entries whose ``loc`` starts with ``"body"`` and names the field; only JSON
content types are parsed (FastAPI's strict content type, which keeps browsers from posting a simple cross-site
form); the schema stays in OpenAPI (`openapi_request_body`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")

REF_PREFIX = "#/$defs/"


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A request body as received: its bytes, and whether its content type says JSON."""

    content: bytes
    is_json: bool


def is_json_content_type(value: str | None) -> bool:
    """Return whether a Content-Type header names JSON (``application/json`` or ``application/*+json``)."""
    if not value:
        return False
    maintype, _, subtype = value.partition(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_json_body(request: Request) -> JsonBody:
    """Return the whole request body (a body over the size limit ends the request with 413 while it is read)."""
    return JsonBody(await request.body(), is_json_content_type(request.headers.get("content-type")))


def validate_body(adapter: TypeAdapter[T], body: JsonBody) -> T:
    """Return ``body`` validated by ``adapter`` from its JSON text.

    Raises `RequestValidationError` (422) when the body is empty, not declared as JSON, not JSON, or not valid;
    each error's ``loc`` is ``("body", *path to the field)``. A whole body or list is never echoed back as the
    error's ``input`` (it can be megabytes); a value deeper down is."""
    if not body.content:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    if not body.is_json:
        raise RequestValidationError(
            [{"type": "content_type", "loc": ("body",), "input": None,
              "msg": "the body must be JSON, sent with Content-Type: application/json"}]
        )  # fmt: skip
    try:
        return adapter.validate_json(body.content)
    except ValidationError as error:
        raise RequestValidationError([_body_error(e) for e in error.errors(include_url=False)]) from None


def _body_error(error: Any) -> dict[str, Any]:
    loc = tuple(error["loc"])
    echo = bool(loc) and not isinstance(error.get("input"), list)
    return {**error, "loc": ("body", *loc), "input": error.get("input") if echo else None}


def openapi_request_body(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """Return ``openapi_extra`` that documents ``adapter``'s type as the required JSON request body, and the 422.

    The schema is self-contained (its definitions inlined), as an operation cannot add to the components. The
    422 refers to FastAPI's ``HTTPValidationError``, which the app's routes with declared parameters define."""
    schema = adapter.json_schema(ref_template=REF_PREFIX + "{model}")
    definitions = schema.pop("$defs", {})
    body = {"application/json": {"schema": _inline(schema, definitions, ())}}
    invalid = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
    return {
        "requestBody": {"required": True, "content": body},
        "responses": {"422": {"description": "Validation Error", "content": invalid}},
    }


def _inline(node: Any, definitions: dict[str, Any], within: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref.removeprefix(REF_PREFIX)
        if name in within:
            raise ValueError(f"{name} is recursive; its schema cannot be inlined")
        siblings = {key: _inline(value, definitions, within) for key, value in node.items() if key != "$ref"}
        return {**_inline(definitions[name], definitions, (*within, name)), **siblings}
    return {key: _inline(value, definitions, within) for key, value in node.items()}


def json_safe(value: Any) -> Any:
    """Return ``value`` (decoded JSON-like data) with each NaN or infinite float replaced by its name as a string.

    Python's ``json`` reads ``NaN`` and ``Infinity`` but strict JSON cannot write them back."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value

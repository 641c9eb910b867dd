"""The OpenAPI document tells what the security gate and the error handlers do to every route.

FastAPI documents what a route declares. What `api.security.SecurityGate` answers before any route runs (400,
401, 403, 413, 414, 415, 421) and how a client authenticates is added here, once, to every operation it
applies to, with the error model the gate and the handlers send (`ErrorOut`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from api.security import MUTATING_METHODS, SESSION_COOKIE, needs_credential
from data.text import NO_CONTROL_PATTERN


class ErrorOut(BaseModel):
    """Every error other than a validation error (422): what went wrong, in one sentence."""

    detail: str


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
SECURITY_SCHEMES = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a token of OPSFORGE_API_TOKENS (or OPSFORGE_API_TOKEN, or the generated var/api-token)",
    },
    "localDashboardSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "set on the dashboard page served to a browser on the server's own machine",
    },
}
GATE_RESPONSES = {
    "400": "malformed Host header, or a control character in the path",
    "403": "a request from another web page's Origin, or a role too low for the operation",
    "414": "the path is too long",
    "421": "a Host name the server is not configured for (ALLOWED_HOSTS)",
}
AUTH_RESPONSES = {"401": "missing or unknown bearer token"}
CHANGE_RESPONSES = {
    "413": "the request body is larger than INGEST_MAX_BODY_BYTES",
    "415": "a request that changes state must be sent as application/json",
}


# A path parameter this long keeps the whole path under the gate's limit whatever the route.
MAX_PATH_PARAMETER = 512


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _describe(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    added = dict(GATE_RESPONSES)
    if needs_credential(path):
        operation["security"] = [{"bearerToken": []}, {"localDashboardSession": []}]
        added.update(AUTH_RESPONSES)
    else:
        operation["security"] = []
    if method.upper() in MUTATING_METHODS:
        added.update(CHANGE_RESPONSES)
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "string":
            # the gate refuses a control character anywhere in the path (400) and a path over its limit (414)
            schema.setdefault("maxLength", MAX_PATH_PARAMETER)
            if "pattern" in schema:
                schema["allOf"] = [*schema.get("allOf", []), {"pattern": NO_CONTROL_PATTERN}]
            else:
                schema["pattern"] = NO_CONTROL_PATTERN
    for code, description in added.items():
        responses.setdefault(code, _error(description))
    for code, response in responses.items():
        # a route's own 4xx/5xx declared with a description only: it is sent with the error model
        if code.startswith(("4", "5")) and code != "422" and "content" not in response:
            response["content"] = {"application/json": {"schema": ERROR_REF}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the routes' document with the security scheme and the gate's responses."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()  # FastAPI's document of the routes, which it caches in app.openapi_schema
        components = document.setdefault("components", {})
        components.setdefault("schemas", {})["ErrorOut"] = ErrorOut.model_json_schema()
        components["securitySchemes"] = SECURITY_SCHEMES
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    _describe(path, method, operation)
        return document

    app.openapi = openapi  # type: ignore[method-assign]

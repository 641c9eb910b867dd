"""Errors as HTTP answers: one mapping from the domain's exceptions to status codes and a JSON `detail`, and the
framework's own 405 and 422 made exact."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.json_body import json_safe
from config.document_store import InvalidCursor
from data.errors import Conflict, DomainError, InvalidInput, NotFound, Overloaded

# The name of the dashboard's catch-all route, which serves any path with GET and so never counts as an API method.
DASHBOARD_ROUTE = "dashboard"


def install_error_handlers(app: FastAPI) -> None:
    """Answer NotFound 404, Conflict 409, InvalidInput 422, Overloaded 429 with Retry-After, other domain
    errors 400, and a cursor that did not come from a page 422 naming the ``cursor`` query field.

    Every 422 has FastAPI's ``HTTPValidationError`` shape (a list of ``{type, loc, msg}``), NaN and Infinity
    in an echoed input are sent as strings, and a 405 names every method the path has in any router."""
    statuses: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409}

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        if isinstance(error, Overloaded):
            headers = {"Retry-After": str(max(1, round(error.retry_after)))}
            return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)
        if isinstance(error, InvalidInput):
            detail = [{"type": "invalid_input", "loc": field_loc(error.field), "msg": error.message}]
            return JSONResponse({"detail": detail}, status_code=422)
        code = next((c for kind, c in statuses.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=code)

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, error: InvalidCursor) -> JSONResponse:
        detail = [{"type": "invalid_cursor", "loc": ["query", "cursor"], "msg": str(error)}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:  # Starlette names only the first route matching the path; name them all
            error.headers = {**(error.headers or {}), "Allow": ", ".join(methods_of(app, request.url.path))}
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # The 422 echoes each wrong value; NaN or Infinity there has no JSON form, so it is sent as a string.
        return JSONResponse({"detail": json_safe(jsonable_encoder(error.errors()))}, status_code=422)


def field_loc(field: str) -> list[str | int]:
    """Return the ``loc`` of a domain error's field path: ``alerts[1].startsAt`` is ``["alerts", 1, "startsAt"]``."""
    loc: list[str | int] = []
    for part in field.split("."):
        name, *indexes = part.replace("]", "").split("[")
        loc.append(name)
        loc.extend(int(index) if index.isdecimal() and index.isascii() else index for index in indexes)
    return [part for part in loc if part != ""]


def methods_of(app: FastAPI, path: str) -> list[str]:
    """Return the methods the app's routes (not the dashboard's catch-all) serve at ``path``."""
    found = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        for route in app.router.routes:
            if getattr(route, "name", None) != DASHBOARD_ROUTE and route.matches(scope)[0] is Match.FULL:
                found.append(method)
                break
    return found

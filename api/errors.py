"""Domain errors as HTTP answers: one mapping from the domain's exceptions to status codes and a JSON `detail`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from config.document_store import InvalidCursor
from data.errors import Conflict, DomainError, InvalidInput, NotFound, Overloaded


def install_error_handlers(app: FastAPI) -> None:
    """Answer NotFound 404, Conflict 409, InvalidInput 422, Overloaded 429 with Retry-After, other domain
    errors 400, and a cursor that did not come from a page 422 naming the ``cursor`` query field."""
    statuses: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409, InvalidInput: 422}

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        if isinstance(error, Overloaded):
            headers = {"Retry-After": str(max(1, round(error.retry_after)))}
            return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)
        code = next((c for kind, c in statuses.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=code)

    @app.exception_handler(InvalidCursor)
    async def invalid_cursor(_: Request, error: InvalidCursor) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["query", "cursor"], "msg": str(error)}]}, status_code=422)

"""Domain exceptions; the HTTP layer maps each to one status code (see `backend_api.py`)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors the API turns into a 4xx with a JSON ``detail``."""


class NotFound(DomainError):
    """The named object does not exist (404)."""


class Conflict(DomainError):
    """The request is valid but the current state forbids it (409)."""


class KillSwitchActive(Conflict):
    """An autonomous or manual fleet action was refused because the kill switch is on (409)."""


class InvalidInput(DomainError):
    """A value the schema accepted but the domain cannot use (422); ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Overloaded(DomainError):
    """The engine's ingest backlog is full; the client should retry after ``retry_after`` seconds (429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

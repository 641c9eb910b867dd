"""The storage primitive under the knowledge base: collections of JSON documents in a stable order.

A backend stores, per collection, documents keyed by ``id`` with an ``order`` string (an ISO UTC
timestamp, so text order is time order), a few string ``attrs`` that can be filtered on, and a JSON
``body``. Listing is newest first by ``(order, id)``, which is total, so pagination is stable.
Backends: `config.kb_memory`, `config.kb_sqlite`, `config.kb_dynamodb`.
"""

from __future__ import annotations

import base64
import binascii
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


class InvalidCursor(ValueError):
    """A pagination cursor that this store did not issue."""


@dataclass(frozen=True)
class Doc:
    """One stored document."""

    id: str
    order: str
    body: JsonDict
    attrs: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.order, self.id)


@dataclass(frozen=True)
class RawPage:
    """A page of document bodies, newest first, and the cursor of the next page (None at the end)."""

    items: list[JsonDict]
    next_cursor: str | None


def encode_cursor(key: tuple[str, str]) -> str:
    """Return an opaque, URL-safe cursor for the position just after ``key``."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """Return the ``(order, id)`` key encoded by `encode_cursor`; raise `InvalidCursor` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("cursor is not valid") from error
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise InvalidCursor("cursor is not valid")
    return (value[0], value[1])


def version_of(body: JsonDict | None) -> int | None:
    """Return the ``version`` of a guard document's body, or None when there is no document."""
    return None if body is None else int(body["version"])


def matches(attrs: Mapping[str, str], where: Mapping[str, str]) -> bool:
    """Return True when every filter in ``where`` equals the document's attribute."""
    return all(attrs.get(name) == value for name, value in where.items())


class DocumentStore(ABC):
    """Thread-safe JSON document collections. Every method returns copies the caller may mutate."""

    @abstractmethod
    def put(self, collection: str, docs: Sequence[Doc]) -> None:
        """Insert or replace ``docs`` atomically (all or none are stored)."""

    def put_many(self, batches: Sequence[tuple[str, Sequence[Doc]]]) -> None:
        """Insert or replace documents of several collections; a store that can commits them as one unit.

        The default puts each collection in turn (each atomic on its own); SQLite overrides it with one
        transaction, which halves the commits of an ingest batch.
        """
        for collection, docs in batches:
            if docs:
                self.put(collection, docs)

    @abstractmethod
    def compare_and_put(
        self, collection: str, guard: Doc, expected: int | None, others: Sequence[tuple[str, Doc]] = ()
    ) -> bool:
        """Write ``guard`` and ``others`` as one unit if the stored guard's version is ``expected``.

        A guard document carries an integer ``version`` in its body; ``expected`` None means the guard must
        not exist yet. Returns False, writing nothing, when another writer got there first (the caller reads
        again and retries). This is what keeps one unbroken audit chain across threads and machines.
        """

    @abstractmethod
    def get(self, collection: str, doc_id: str) -> JsonDict | None:
        """Return the body of one document, or None."""

    @abstractmethod
    def query(
        self,
        collection: str,
        *,
        limit: int,
        cursor: str | None = None,
        where: Mapping[str, str] | None = None,
        since: str | None = None,
    ) -> RawPage:
        """Return up to ``limit`` bodies newest first, after ``cursor``, with ``order >= since``."""

    @abstractmethod
    def increment(self, collection: str, doc_id: str, deltas: Mapping[str, float]) -> JsonDict:
        """Add ``deltas`` to numeric fields of a counter document (created at zero); return the result."""

    @abstractmethod
    def count(self, collection: str, where: Mapping[str, str] | None = None) -> int:
        """Return how many documents of ``collection`` match ``where``."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing to release
        """Release connections; the store is unusable afterwards."""

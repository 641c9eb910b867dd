"""In-memory document store: fast, bounded per collection (oldest evicted first), lost on restart."""

from __future__ import annotations

import copy
import threading
from bisect import bisect_left, insort
from collections.abc import Mapping, Sequence

from config.document_store import (
    Doc,
    DocumentStore,
    JsonDict,
    RawPage,
    decode_cursor,
    encode_cursor,
    matches,
    version_of,
)


class _Collection:
    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.keys: list[tuple[str, str]] = []  # ascending (order, id); newest at the end

    def remove(self, doc_id: str) -> None:
        old = self.docs.pop(doc_id, None)
        if old is not None:
            del self.keys[bisect_left(self.keys, old.key)]


class MemoryDocumentStore(DocumentStore):
    """Documents in sorted in-process lists; each collection keeps at most ``capacity`` documents."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._lock = threading.RLock()  # re-entrant: compare_and_put calls put
        self._collections: dict[str, _Collection] = {}

    def _collection(self, name: str) -> _Collection:
        return self._collections.setdefault(name, _Collection())

    def put(self, collection: str, docs: Sequence[Doc]) -> None:
        # The store takes ownership of the bodies it is given (callers pass freshly serialised dicts);
        # reads hand out deep copies, so nothing outside can change what is stored.
        with self._lock:
            coll = self._collection(collection)
            for doc in docs:
                old = coll.docs.get(doc.id)
                if old is not None and old.key == doc.key:
                    coll.docs[doc.id] = doc  # same place in the order: no need to move the key
                    continue
                coll.remove(doc.id)
                coll.docs[doc.id] = doc
                insort(coll.keys, doc.key)
            while len(coll.keys) > self._capacity:
                _, oldest_id = coll.keys[0]
                coll.remove(oldest_id)

    def compare_and_put(
        self, collection: str, guard: Doc, expected: int | None, others: Sequence[tuple[str, Doc]] = ()
    ) -> bool:
        with self._lock:
            current = self._collection(collection).docs.get(guard.id)
            if version_of(current.body if current else None) != expected:
                return False
            self.put(collection, [guard])  # the lock is re-entrant
            for name, doc in others:
                self.put(name, [doc])
            return True

    def get(self, collection: str, doc_id: str) -> JsonDict | None:
        with self._lock:
            doc = self._collection(collection).docs.get(doc_id)
            return copy.deepcopy(doc.body) if doc else None

    def query(
        self,
        collection: str,
        *,
        limit: int,
        cursor: str | None = None,
        where: Mapping[str, str] | None = None,
        since: str | None = None,
    ) -> RawPage:
        start = decode_cursor(cursor) if cursor else None
        found: list[Doc] = []
        with self._lock:
            coll = self._collection(collection)
            index = bisect_left(coll.keys, start) if start else len(coll.keys)
            while index > 0 and len(found) <= limit:
                index -= 1
                key = coll.keys[index]
                if since is not None and key[0] < since:
                    break
                doc = coll.docs[key[1]]
                if where is None or matches(doc.attrs, where):
                    found.append(doc)
            bodies = [copy.deepcopy(doc.body) for doc in found[:limit]]
        next_cursor = encode_cursor(found[limit - 1].key) if len(found) > limit else None
        return RawPage(bodies, next_cursor)

    def increment(self, collection: str, doc_id: str, deltas: Mapping[str, float]) -> JsonDict:
        with self._lock:
            coll = self._collection(collection)
            current = coll.docs.get(doc_id)
            body = dict(current.body) if current else {}
            for name, delta in deltas.items():
                body[name] = body.get(name, 0) + delta
            order = current.order if current else ""
            coll.remove(doc_id)
            coll.docs[doc_id] = Doc(doc_id, order, body, {})
            insort(coll.keys, (order, doc_id))
            return dict(body)

    def count(self, collection: str, where: Mapping[str, str] | None = None) -> int:
        with self._lock:
            docs = self._collection(collection).docs.values()
            return sum(1 for doc in docs if where is None or matches(doc.attrs, where))

"""The audit log's hash chain over a document store: append with compare-and-set, verify from the store.

Each entry stores ``seq`` (1, 2, ...), ``prev_hash`` (the previous entry's ``hash``; 64 zeros for the
first) and ``hash`` = SHA-256 of the entry's canonical form (every field but ``hash``: JSON with sorted
keys, no spaces, UTF-8, integral floats written as integers so a DynamoDB round trip hashes the same).
A separate head document holds the newest ``seq`` and ``hash``; appends replace it with a conditional
write, so concurrent writers, in one process or on several machines, extend one chain without forks.
Editing, deleting or reordering stored entries is then detected by `verify`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from config.document_store import Doc, DocumentStore, JsonDict

GENESIS = "0" * 64
AUDIT = "audit"
AUDIT_HEAD = "audit_head"
HEAD_ID = "head"
_PAGE = 1000
_MAX_ATTEMPTS = 1000


class ChainContention(RuntimeError):
    """The chain head kept moving under this writer; nothing was written."""


@dataclass(frozen=True)
class ChainStatus:
    """The result of recomputing the chain: whether it holds, how many entries, the first that does not."""

    ok: bool
    entries: int
    first_broken: str | None
    unchained: int = 0


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit entries carry finite numbers only")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def canonical(body: JsonDict) -> bytes:
    """Return the canonical bytes of an entry body (``hash`` left out) that its hash is taken over."""
    fields = {k: v for k, v in body.items() if k != "hash"}
    text = json.dumps(_normal(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")  # JSON input may carry lone surrogates; they still hash


def entry_hash(body: JsonDict) -> str:
    """Return the hex SHA-256 of `canonical` ``body``."""
    return hashlib.sha256(canonical(body)).hexdigest()


def append(store: DocumentStore, doc: Doc) -> JsonDict:
    """Append ``doc`` (an entry body without chain fields) to the chain; return the body as stored.

    Raises `ChainContention` if the head never stands still long enough (nothing is written then).
    """
    for _ in range(_MAX_ATTEMPTS):
        head = store.get(AUDIT_HEAD, HEAD_ID)
        version = int(head["version"]) if head else None
        previous = str(head["hash"]) if head else GENESIS
        body = {**doc.body, "seq": (version or 0) + 1, "prev_hash": previous}
        body["hash"] = entry_hash(body)
        new_head = Doc(HEAD_ID, "", {"version": body["seq"], "hash": body["hash"], "id": doc.id})
        if store.compare_and_put(AUDIT_HEAD, new_head, version, [(AUDIT, Doc(doc.id, doc.order, body, doc.attrs))]):
            return body
    raise ChainContention(f"the audit chain head moved {_MAX_ATTEMPTS} times in a row; entry not written")


def _all_entries(store: DocumentStore) -> list[JsonDict]:
    bodies: list[JsonDict] = []
    cursor: str | None = None
    while True:
        page = store.query(AUDIT, limit=_PAGE, cursor=cursor)
        bodies.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return bodies


def verify(store: DocumentStore) -> ChainStatus:
    """Recompute the chain from what is stored; name the first entry (in chain order) that does not hold.

    An entry breaks the chain when its hash does not recompute, its ``prev_hash`` is not the stored hash
    of the entry before it, or its ``seq`` skips (an entry before it was deleted). A head that does not
    name the last entry means entries were removed from the end (``first_broken`` is then "head").
    Entries written before the chain existed carry no hash; they are counted as ``unchained``.
    """
    bodies = _all_entries(store)
    chained = sorted((b for b in bodies if isinstance(b.get("seq"), int)), key=lambda b: int(b["seq"]))
    unchained = len(bodies) - len(chained)
    previous = GENESIS
    for expected_seq, body in enumerate(chained, start=1):
        intact = body.get("hash") == entry_hash(body) and body.get("prev_hash") == previous
        if body["seq"] != expected_seq or not intact:
            return ChainStatus(False, len(chained), str(body.get("id")), unchained)
        previous = str(body["hash"])
    head = store.get(AUDIT_HEAD, HEAD_ID)
    head_seq = int(head["version"]) if head else 0
    if head_seq != len(chained) or (head is not None and head.get("hash") != previous):
        return ChainStatus(False, len(chained), "head", unchained)
    return ChainStatus(True, len(chained), None, unchained)

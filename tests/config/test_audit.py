"""The hash-chained audit log on every store backend: chain, filters, concurrency, restart, tampering."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from config.audit import AuditLog
from config.audit_chain import GENESIS, entry_hash
from config.document_store import DocumentStore
from config.knowledge_base import KnowledgeBase, build_knowledge_base
from data.models import AuditEntry
from tests.conftest import make_settings

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_entries_form_one_chain_that_verifies(kb: KnowledgeBase) -> None:
    log = AuditLog(kb)
    first = log.record(actor="user:alice", action="kill_switch.activate", target="fleet", reason="patch night")
    second = log.record(
        actor="agent:TaskOps", action="restart_service", target="web-1", decision="allowed", result="completed",
        incident_id="INC-1", details={"ratio": 0.25, "count": 3.0, "nested": {"é": [1, 2.5]}}, time=T0,
    )  # fmt: skip
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert second.actor_kind == "agent" and first.actor_kind == "user"
    stored = log.page(incident_id="INC-1").items
    assert stored == [second]
    assert stored[0].hash == entry_hash(stored[0].model_dump(mode="json"))
    status = log.verify()
    assert (status.ok, status.entries, status.first_broken) == (True, 2, None)


def test_filters_by_actor_action_since_and_pages(kb: KnowledgeBase) -> None:
    log = AuditLog(kb)
    for n in range(7):
        log.record(actor=f"user:u{n % 2}", action="a" if n < 4 else "b", target="t", time=T0 + timedelta(minutes=n))
    assert [e.time for e in log.page(actor="user:u1").items] == [T0 + timedelta(minutes=m) for m in (5, 3, 1)]
    assert len(log.page(action="b").items) == 3
    assert [e.seq for e in log.page(since=T0 + timedelta(minutes=5)).items] == [7, 6]
    first = log.page(limit=4)
    rest = log.page(limit=4, cursor=first.next_cursor)
    assert [e.seq for e in first.items + rest.items] == [7, 6, 5, 4, 3, 2, 1] and rest.next_cursor is None


def test_concurrent_writers_on_two_connections_keep_one_chain(open_kb: Callable[[], KnowledgeBase]) -> None:
    # Two knowledge bases over the same data stand for two processes or machines: each has its own lock, so
    # only the store's conditional write on the chain head keeps them from forking the chain.
    writers = [AuditLog(open_kb()), AuditLog(open_kb())]
    threads_per_writer, each = 4, 6
    errors: list[BaseException] = []

    def run(log: AuditLog, name: str) -> None:
        try:
            for n in range(each):
                log.record(actor=f"agent:{name}", action="probe", target=f"t{n}")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(log, f"w{w}-{t}"))
        for w, log in enumerate(writers)
        for t in range(threads_per_writer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    total = len(writers) * threads_per_writer * each
    status = writers[1].verify()
    assert (status.ok, status.entries) == (True, total)
    seqs = sorted(e.seq or 0 for e in writers[0].page(limit=500).items)
    assert seqs == list(range(1, total + 1))


def test_the_chain_continues_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    kb = build_knowledge_base(settings)
    AuditLog(kb).record(actor="user:a", action="x", target="t")
    kb.close()
    kb = build_knowledge_base(settings)
    again = AuditLog(kb).record(actor="user:a", action="y", target="t")
    assert again.seq == 2
    assert AuditLog(kb).verify().ok
    kb.close()


def _sqlite_log(tmp_path: Path, entries: int) -> tuple[Path, list[AuditEntry]]:
    settings = make_settings(tmp_path)
    kb = build_knowledge_base(settings)
    log = AuditLog(kb)
    stored = [log.record(actor="user:a", action="x", target=f"t{n}", reason=f"r{n}") for n in range(entries)]
    kb.close()
    return settings.KB_PATH, stored


def _verify(path: Path) -> tuple[bool, int, str | None]:
    kb = build_knowledge_base(make_settings(path.parent))
    try:
        status = AuditLog(kb).verify()
        return status.ok, status.entries, status.first_broken
    finally:
        kb.close()


def test_editing_one_stored_entry_in_the_sqlite_file_is_named(tmp_path: Path) -> None:
    path, stored = _sqlite_log(tmp_path, 5)
    with sqlite3.connect(path) as db:
        (body,) = db.execute("SELECT body FROM docs WHERE collection = 'audit' AND id = ?", (stored[2].id,)).fetchone()
        edited = {**json.loads(body), "reason": "nothing to see"}
        db.execute("UPDATE docs SET body = ? WHERE collection = 'audit' AND id = ?", (json.dumps(edited), stored[2].id))
    assert _verify(path) == (False, 5, stored[2].id)


def test_an_edit_that_rehashes_the_entry_breaks_the_next_link(tmp_path: Path) -> None:
    path, stored = _sqlite_log(tmp_path, 4)
    with sqlite3.connect(path) as db:
        (body,) = db.execute("SELECT body FROM docs WHERE collection = 'audit' AND id = ?", (stored[1].id,)).fetchone()
        edited = {**json.loads(body), "actor": "user:mallory"}
        edited["hash"] = entry_hash(edited)
        db.execute("UPDATE docs SET body = ? WHERE collection = 'audit' AND id = ?", (json.dumps(edited), stored[1].id))
    assert _verify(path) == (False, 4, stored[2].id)


def test_deleting_entries_is_named(tmp_path: Path) -> None:
    path, stored = _sqlite_log(tmp_path, 4)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM docs WHERE collection = 'audit' AND id = ?", (stored[1].id,))
    assert _verify(path) == (False, 3, stored[2].id)
    path, stored = _sqlite_log(tmp_path / "tail", 3)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM docs WHERE collection = 'audit' AND id = ?", (stored[2].id,))
    assert _verify(path) == (False, 2, "head")


def test_entries_from_before_the_chain_are_counted_apart(kb: KnowledgeBase) -> None:
    from config.document_store import Doc
    from config.knowledge_base import order_key

    legacy = AuditEntry(id="AUD-old", time=T0, actor="api", action="kill_switch.activate", target="fleet")
    kb.store.put("audit", [Doc(legacy.id, order_key(T0), legacy.model_dump(mode="json"), {})])
    AuditLog(kb).record(actor="user:a", action="x", target="t")
    status = AuditLog(kb).verify()
    assert (status.ok, status.entries, status.unchained) == (True, 1, 1)


class Interleaving:
    """A store through which another writer appends right before this writer's first conditional write."""

    def __init__(self, inner: DocumentStore, interloper: Callable[[], object]) -> None:
        self.inner = inner
        self.interloper: Callable[[], object] | None = interloper

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def compare_and_put(self, *args: Any, **kwargs: Any) -> bool:
        if self.interloper is not None:
            interloper, self.interloper = self.interloper, None
            interloper()
        return bool(self.inner.compare_and_put(*args, **kwargs))


def test_a_writer_that_loses_the_race_for_the_head_appends_after_the_winner(
    open_kb: Callable[[], KnowledgeBase],
) -> None:
    winner = AuditLog(open_kb())
    shared = open_kb()
    racing = KnowledgeBase(cast(DocumentStore, Interleaving(shared.store, lambda: winner.record(
        actor="agent:A", action="first", target="t"))))  # fmt: skip
    late = AuditLog(racing).record(actor="agent:B", action="second", target="t")
    assert late.seq == 2
    entries = sorted(winner.page().items, key=lambda e: e.seq or 0)
    assert [(e.action, e.seq) for e in entries] == [("first", 1), ("second", 2)]
    assert entries[1].prev_hash == entries[0].hash
    assert winner.verify().ok

"""Silences: Alertmanager matcher semantics, validation naming the field, windows, expiry, every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.audit import AuditLog
from config.knowledge_base import KnowledgeBase
from config.silences import Matcher, MatchOp, SilenceStore
from data.errors import Conflict, InvalidInput

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class ManualNow:
    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


def m(name: str, op: str, value: str) -> Matcher:
    return Matcher(name=name, op=MatchOp(op), value=value)


def test_matcher_semantics_follow_alertmanager() -> None:
    labels = {"alertname": "DiskFull", "host": "db-01", "env": "prod"}
    assert m("host", "=~", "db-.*").matches(labels)
    assert not m("host", "=~", "db").matches(labels)  # anchored: a partial match is no match
    assert not m("host", "=~", "b-01").matches(labels)
    assert m("host", "!~", "web-.*").matches(labels)
    assert m("env", "!=", "staging").matches(labels)
    assert m("team", "=", "").matches(labels)  # a missing label has the empty value
    assert m("team", "!~", ".+").matches(labels)
    assert m("host", "=~", "(a+)+").matches({"host": "a" * 40}) and not m("host", "=~", "(a+)+").matches(
        {"host": "a" * 5000 + "b"}
    )  # linear time: no catastrophic backtracking


def make(kb: KnowledgeBase, now: ManualNow) -> SilenceStore:
    return SilenceStore(kb, AuditLog(kb, now), refresh_s=60, now=now)


def test_window_tenant_and_expiry(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    silences = make(kb, now)
    later = silences.create(
        tenant="acme", matchers=[m("host", "=~", "db-.*")], starts_at=T0 + HOUR, ends_at=T0 + 3 * HOUR,
        comment="db patch window", created_by="user:alice",
    )  # fmt: skip
    labels = {"host": "db-01"}
    assert silences.active_for("acme", labels, T0) is None
    assert silences.active_for("acme", labels, T0 + 2 * HOUR) == later
    assert silences.active_for("globex", labels, T0 + 2 * HOUR) is None
    assert not silences.is_silenced("acme", {"host": "web-1"}, T0 + 2 * HOUR)
    everyone = silences.create(
        tenant="*", matchers=[m("alertname", "=", "Noise")], starts_at=None, ends_at=T0 + HOUR,
        comment="known noise", created_by="user:bob",
    )  # fmt: skip
    assert silences.is_silenced("globex", {"alertname": "Noise"}, T0 + timedelta(minutes=5))
    assert [s.id for s in silences.page(current=True).items] == [later.id, everyone.id]
    now.value = T0 + timedelta(minutes=30)
    expired = silences.expire(later.id, actor="user:alice", reason="cancelled")
    assert expired.startsAt == expired.endsAt == now.value  # a pending silence never starts
    assert silences.active_for("acme", labels, T0 + 2 * HOUR) is None
    with pytest.raises(Conflict):
        silences.expire(later.id, actor="user:alice")
    actions = [e.action for e in kb.list_audit().items]
    assert sorted(actions) == ["silence.create", "silence.create", "silence.expire"]


def test_the_cache_sees_a_silence_created_by_another_process(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    reader = SilenceStore(kb, AuditLog(kb, now), refresh_s=5, now=now)
    writer = make(kb, now)
    assert reader.active_for("acme", {"host": "a"}, T0) is None
    writer.create(tenant="acme", matchers=[m("host", "=", "a")], starts_at=None, ends_at=T0 + HOUR,
                  comment="c", created_by="user:x")  # fmt: skip
    now.value = T0 + timedelta(seconds=6)
    assert reader.active_for("acme", {"host": "a"}, now.value) is not None


@pytest.mark.parametrize(
    ("matchers", "field"),
    [
        ([], "matchers"),
        ([m("host", "=~", "(")], "matchers[0].value"),
        ([m("env", "=", "prod"), m("host", "=~", "(?=x)")], "matchers[1].value"),
        ([Matcher.model_construct(name="host", op=MatchOp.RE, value="a" * 1025)], "matchers[0].value"),
        ([m("bad-name", "=", "x")], "matchers[0].name"),
        ([m("host", "=~", ".*")], "matchers"),
        ([m("host", "=", "")], "matchers"),
    ],
)
def test_bad_matchers_name_the_field(matchers: list[Matcher], field: str) -> None:
    from config.knowledge_base import MemoryKnowledgeBase

    kb = MemoryKnowledgeBase()
    with pytest.raises(InvalidInput) as error:
        make(kb, ManualNow(T0)).create(
            tenant="acme", matchers=matchers, starts_at=None, ends_at=T0 + HOUR, comment="c", created_by="u"
        )
    assert error.value.field == field
    assert kb.list_audit().items == []


@pytest.mark.parametrize(
    ("starts", "ends"), [(None, T0 - HOUR), (T0 + 2 * HOUR, T0 + HOUR), (None, T0 + timedelta(days=400))]
)
def test_bad_windows_are_refused(starts: datetime | None, ends: datetime) -> None:
    from config.knowledge_base import MemoryKnowledgeBase

    with pytest.raises(InvalidInput) as error:
        make(MemoryKnowledgeBase(), ManualNow(T0)).create(
            tenant="acme", matchers=[m("host", "=", "a")], starts_at=starts, ends_at=ends, comment="c", created_by="u"
        )
    assert error.value.field == "endsAt"


def test_an_action_is_covered_by_its_target_or_by_one_of_its_alerts(kb: KnowledgeBase) -> None:
    now = ManualNow(T0)
    silences = make(kb, now)
    by_host = silences.create(tenant="acme", matchers=[m("host", "=", "db-1")], starts_at=None, ends_at=T0 + HOUR,
                              comment="db-1 maintenance", created_by="user:a")  # fmt: skip
    by_alert = silences.create(tenant="acme", matchers=[m("alertname", "=~", "Disk.*")], starts_at=None,
                               ends_at=T0 + HOUR, comment="disk noise", created_by="user:a")  # fmt: skip
    at = T0 + timedelta(minutes=1)
    assert silences.covering_action("acme", target="db-1", action="reboot", at=at) == by_host
    assert silences.covering_action("acme", target="web-1", action="reboot", at=at) is None
    alerts = [{"alertname": "HighCPU", "host": "web-1"}, {"alertname": "DiskFull", "host": "web-1"}]
    assert silences.covering_action("acme", target="web-1", action="disk_cleanup", alerts=alerts, at=at) == by_alert
    assert silences.covering_action("globex", target="db-1", action="reboot", alerts=alerts, at=at) is None

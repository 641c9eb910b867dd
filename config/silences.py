"""Silences (maintenance windows): Alertmanager-style label matchers over a time window, per tenant.

A silenced alert still correlates into incidents, but causes no autonomous action. `SilenceStore`
persists silences in the knowledge base (ordered by ``endsAt``, so the ones not yet over are one range
read), keeps a short-lived cache for the hot `active_for` path, and audits every change.

Matching follows Alertmanager: a missing label has the empty value; ``=~`` and ``!~`` regexes are fully
anchored (``^(?:re)$``) and use RE2 syntax, matched in linear time (no backtracking blow-up on label
values an attacker controls).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import re2
from pydantic import Field

from config.audit import AuditLog
from config.document_store import Doc
from config.knowledge_base import Collection, KnowledgeBase, Page, order_key
from data.errors import Conflict, InvalidInput, NotFound
from data.models import Model
from data.timeutil import UtcDatetime, utc_now

MAX_REGEX_CHARS = 1024
MAX_MATCHERS = 32
MAX_DURATION = timedelta(days=366)
ALL_TENANTS = "*"
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the caller, not logged to stderr


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NOT_RE = "!~"


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    return re2.compile(f"(?:{pattern})", options=_OPTIONS)


def compile_matcher_regex(pattern: str, field: str) -> None:
    """Check that ``pattern`` is a usable RE2 regex within the length cap; raise InvalidInput naming ``field``."""
    if len(pattern) > MAX_REGEX_CHARS:
        raise InvalidInput(field, f"regex is longer than {MAX_REGEX_CHARS} characters")
    try:
        _compiled(pattern)
    except re2.error as error:
        detail = error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else error
        raise InvalidInput(field, f"invalid regex: {detail}") from None


class Matcher(Model):
    name: str = Field(min_length=1, max_length=128, description="label name")
    value: str = Field(max_length=MAX_REGEX_CHARS, description="the value, or an RE2 regex for =~ and !~")
    op: MatchOp = MatchOp.EQ

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether ``labels`` satisfy this matcher (a missing label counts as the empty value)."""
        value = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return value == self.value
        if self.op is MatchOp.NE:
            return value != self.value
        found = _compiled(self.value).fullmatch(value) is not None
        return found if self.op is MatchOp.RE else not found


class Silence(Model):
    """Alerts of ``tenant`` (or every tenant for "*") whose labels satisfy all matchers, from startsAt to endsAt."""

    id: str
    tenant: str
    matchers: list[Matcher]
    startsAt: UtcDatetime
    endsAt: UtcDatetime
    comment: str
    createdBy: str
    createdAt: UtcDatetime
    updatedAt: UtcDatetime
    version: int = Field(default=1, ge=1)

    def state(self, at: datetime) -> SilenceState:
        if at < self.startsAt:
            return SilenceState.PENDING
        return SilenceState.ACTIVE if at < self.endsAt else SilenceState.EXPIRED

    def silences(self, tenant: str, labels: Mapping[str, str], at: datetime) -> bool:
        """Return whether this silence covers an alert of ``tenant`` with ``labels`` at ``at``."""
        if self.tenant not in (tenant, ALL_TENANTS) or self.state(at) is not SilenceState.ACTIVE:
            return False
        return all(matcher.matches(labels) for matcher in self.matchers)


def validate_matchers(matchers: Sequence[Matcher]) -> None:
    """Refuse matcher lists Alertmanager would refuse; the error names the offending field."""
    if not matchers:
        raise InvalidInput("matchers", "at least one matcher is required")
    if len(matchers) > MAX_MATCHERS:
        raise InvalidInput("matchers", f"at most {MAX_MATCHERS} matchers")
    for index, matcher in enumerate(matchers):
        if not _LABEL_NAME.fullmatch(matcher.name):
            raise InvalidInput(f"matchers[{index}].name", "must be a label name ([A-Za-z_][A-Za-z0-9_]*)")
        if matcher.op in (MatchOp.RE, MatchOp.NOT_RE):
            compile_matcher_regex(matcher.value, f"matchers[{index}].value")
    # A silence every matcher of which the empty label set satisfies would silence every alert.
    if all(matcher.matches({}) for matcher in matchers):
        raise InvalidInput("matchers", "at least one matcher must not match the empty value (it would silence all)")


class SilenceStore:
    """Silences in the knowledge base's ``silences`` collection. Thread-safe."""

    def __init__(
        self, kb: KnowledgeBase, audit: AuditLog, *, refresh_s: float = 5.0, now: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = kb.store
        self._audit = audit
        self._refresh = timedelta(seconds=refresh_s)
        self._now = now
        self._lock = threading.Lock()
        self._cache: list[Silence] = []
        self._cache_floor: datetime | None = None  # the cache holds every silence ending at or after this
        self._loaded_at: datetime | None = None

    def create(
        self,
        *,
        tenant: str,
        matchers: Sequence[Matcher],
        starts_at: datetime | None,
        ends_at: datetime,
        comment: str,
        created_by: str,
    ) -> Silence:
        """Validate and store a new silence; a start in the past starts it now. Returns it."""
        validate_matchers(matchers)
        now = self._now()
        starts = max(starts_at or now, now)
        if ends_at <= now:
            raise InvalidInput("endsAt", "must be in the future")
        if ends_at <= starts:
            raise InvalidInput("endsAt", "must be after startsAt")
        if ends_at - starts > MAX_DURATION:
            raise InvalidInput("endsAt", f"a silence lasts at most {MAX_DURATION.days} days")
        silence = Silence(
            id=f"SIL-{uuid.uuid4().hex[:16]}", tenant=tenant, matchers=list(matchers), startsAt=starts, endsAt=ends_at,
            comment=comment, createdBy=created_by, createdAt=now, updatedAt=now,
        )  # fmt: skip
        doc = self._doc(silence)
        if not self._store.compare_and_put(Collection.SILENCES, doc, None):  # created, not replaced: ids are fresh
            raise Conflict(f"silence {silence.id} already exists")
        details = {key: doc.body[key] for key in ("tenant", "matchers", "startsAt", "endsAt")}
        self._audit.record(
            actor=created_by, action="silence.create", target=silence.id, reason=comment, decision="created",
            details=details,
        )  # fmt: skip
        self._invalidate()
        return silence

    def get(self, silence_id: str) -> Silence | None:
        body = self._store.get(Collection.SILENCES, silence_id)
        return Silence.model_validate(body) if body is not None else None

    def page(
        self, *, tenant: str | None = None, current: bool = False, limit: int = 50, cursor: str | None = None
    ) -> Page[Silence]:
        """Return silences, latest ``endsAt`` first; ``current`` keeps only those not yet over."""
        where = {"tenant": tenant} if tenant else None
        since = order_key(self._now()) if current else None
        raw = self._store.query(Collection.SILENCES, limit=limit, cursor=cursor, where=where, since=since)
        return Page([Silence.model_validate(body) for body in raw.items], raw.next_cursor)

    def expire(self, silence_id: str, *, actor: str, reason: str = "") -> Silence:
        """End a silence now (a pending one never starts); return it. NotFound, or Conflict if already over."""
        current = self.get(silence_id)
        if current is None:
            raise NotFound(f"silence {silence_id} not found")
        now = self._now()
        if current.state(now) is SilenceState.EXPIRED:
            raise Conflict(f"silence {silence_id} already ended at {current.endsAt.isoformat()}")
        starts = min(current.startsAt, now)
        new = current.model_copy(
            update={"startsAt": starts, "endsAt": now, "updatedAt": now, "version": current.version + 1}
        )
        if not self._store.compare_and_put(Collection.SILENCES, self._doc(new), current.version):
            raise Conflict(f"silence {silence_id} was changed concurrently")
        self._audit.record(
            actor=actor, action="silence.expire", target=silence_id, reason=reason or "expired", decision="expired"
        )
        self._invalidate()
        return new

    def active_for(self, tenant: str, labels: Mapping[str, str], at: datetime) -> Silence | None:
        """Return the silence covering an alert of ``tenant`` with ``labels`` at ``at`` (ending last), or None."""
        candidates = self._candidates(at)
        covering = [s for s in candidates if s.silences(tenant, labels, at)]
        return max(covering, key=lambda s: (s.endsAt, s.id)) if covering else None

    def covering_action(
        self, tenant: str, *, target: str, action: str, alerts: Iterable[Mapping[str, str]] = (), at: datetime
    ) -> Silence | None:
        """Return a silence that covers an action: its target (as ``host``, ``instance`` and ``service``, with
        ``action``) or any of the alert label sets it answers, or None. What the Executor's silence rule asks."""
        own = {"host": target, "instance": target, "service": target, "action": action}
        for labels in (own, *alerts):
            found = self.active_for(tenant, labels, at)
            if found is not None:
                return found
        return None

    def is_silenced(self, tenant: str, labels: Mapping[str, str], at: datetime) -> bool:
        """Return whether any silence covers an alert of ``tenant`` with ``labels`` at ``at``."""
        return self.active_for(tenant, labels, at) is not None

    def _candidates(self, at: datetime) -> list[Silence]:
        now = self._now()
        with self._lock:
            fresh = self._loaded_at is not None and now - self._loaded_at < self._refresh
            if fresh and self._cache_floor is not None and at >= self._cache_floor:
                return self._cache
            floor = min(at, now)
            self._cache = self._load(floor)
            self._cache_floor, self._loaded_at = floor, now
            return self._cache

    def _load(self, floor: datetime) -> list[Silence]:
        found: list[Silence] = []
        cursor: str | None = None
        while True:
            raw = self._store.query(Collection.SILENCES, limit=500, cursor=cursor, since=order_key(floor))
            found.extend(Silence.model_validate(body) for body in raw.items)
            cursor = raw.next_cursor
            if cursor is None:
                return found

    def _invalidate(self) -> None:
        with self._lock:
            self._loaded_at = None

    @staticmethod
    def _doc(silence: Silence) -> Doc:
        return Doc(silence.id, order_key(silence.endsAt), silence.model_dump(mode="json"), {"tenant": silence.tenant})

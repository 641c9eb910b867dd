"""The knowledge base: everything the engine persists, typed, over one of three document stores.

`KnowledgeBase` maps domain models to documents; the backend (`memory`, `sqlite`, `dynamodb`) is a
`DocumentStore` chosen by `build_knowledge_base(settings)`. Every backend passes one contract test
suite (`tests/config/test_knowledge_base.py`). Methods are thread-safe and return fresh copies.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from config import audit_chain
from config.document_store import Doc, DocumentStore, InvalidCursor, JsonDict
from config.settings import KbBackend, Settings
from data.advisories import Advisory
from data.execution import ExecutedAction
from data.labels import DEFAULT_TENANT, tenant_of_labels
from data.models import Action, Alert, AuditEntry, Incident, OutcomeRecord, PatchPlan, Risk
from data.timeutil import to_utc, utc_now

__all__ = ["InvalidCursor", "KnowledgeBase", "MemoryKnowledgeBase", "Page", "build_knowledge_base", "order_key"]

M = TypeVar("M", bound=BaseModel)


class Collection(StrEnum):
    INCIDENTS = "incidents"
    ALERTS = "alerts"
    AUDIT = audit_chain.AUDIT
    AUDIT_HEAD = audit_chain.AUDIT_HEAD
    APPROVALS = "approvals"
    SILENCES = "silences"
    ACTIONS = "actions"
    PATCH_PLANS = "patch_plans"
    ADVISORIES = "advisories"
    OUTCOMES = "outcomes"
    RISKS = "risks"
    SELECTION_STATS = "selection_stats"
    ACTION_STATS = "action_stats"
    SETTINGS = "settings"
    EXECUTIONS = "executions"


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of a listing, newest first; ``next_cursor`` is None on the last page."""

    items: list[M]
    next_cursor: str | None


def alert_key(labels: Mapping[str, str], fingerprint: str) -> str:
    """Return the document id of an alert: its tenant label (empty without one) and fingerprint.

    Tenant names cannot hold ``/``, so the id is unambiguous and two tenants never share a record.
    An alert without a tenant label belongs to the default tenant, as in AlertOps.
    """
    return f"{tenant_of_labels(labels)}/{fingerprint}"


def order_key(moment: datetime) -> str:
    """Return a fixed-width UTC text for ``moment`` whose text order is time order."""
    return _utc_order_key(moment if moment.tzinfo is UTC else to_utc(moment))


@lru_cache(maxsize=16_384)  # an incident's creation time is keyed again every batch that touches it
def _utc_order_key(utc: datetime) -> str:
    if utc.year < 1000:  # strftime does not pad such years; keys already stored must keep their text
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" off: half the cost of a naive copy


def _attrs(**values: object) -> dict[str, str]:
    return {name: str(value) for name, value in values.items() if value is not None}


class KnowledgeBase:
    """Typed access to incidents, alerts, audit, actions, patch plans, outcomes, risks, stats and settings."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self._audit_lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    # ---------------------------------------------------------------- generic helpers

    def _page(
        self,
        model: type[M],
        collection: Collection,
        *,
        limit: int,
        cursor: str | None,
        where: Mapping[str, Any],
        since: datetime | None = None,
    ) -> Page[M]:
        filters = {name: str(value) for name, value in where.items() if value is not None}
        raw = self.store.query(
            collection,
            limit=limit,
            cursor=cursor,
            where=filters or None,
            since=order_key(since) if since else None,
        )
        return Page([model.model_validate(body) for body in raw.items], raw.next_cursor)

    def _get(self, model: type[M], collection: Collection, doc_id: str) -> M | None:
        body = self.store.get(collection, doc_id)
        return model.model_validate(body) if body is not None else None

    @staticmethod
    def _doc(doc_id: str, moment: datetime, model: BaseModel, **attrs: object) -> Doc:
        return Doc(doc_id, order_key(moment), model.model_dump(mode="json"), _attrs(**attrs))

    # ---------------------------------------------------------------- incidents and alerts

    def save_incidents(self, incidents: Sequence[Incident]) -> None:
        """Insert or replace incidents (keyed by id, ordered by creation time)."""
        docs = [
            self._doc(i.id, i.createdAt, i, status=i.status, severity=i.severity, tenant=i.tenant) for i in incidents
        ]
        self.store.put(Collection.INCIDENTS, docs)

    def get_incident(self, incident_id: str) -> Incident | None:
        return self._get(Incident, Collection.INCIDENTS, incident_id)

    def list_incidents(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: str | None = None,
        severity: str | None = None,
        tenant: str | None = None,
        since: datetime | None = None,
    ) -> Page[Incident]:
        """Return incidents newest first (by creation), filtered by equality and ``createdAt >= since``."""
        where = {"status": status, "severity": severity, "tenant": tenant}
        return self._page(Incident, Collection.INCIDENTS, limit=limit, cursor=cursor, where=where, since=since)

    def count_incidents(self, *, status: str | None = None) -> int:
        return self.store.count(Collection.INCIDENTS, _attrs(status=status) or None)

    def save_alerts(self, alerts: Sequence[Alert]) -> None:
        """Insert or replace alerts (keyed by tenant and fingerprint, ordered by ``startsAt``)."""
        docs = [
            self._doc(
                alert_key(a.labels, a.fingerprint),
                a.startsAt,
                a,
                status=a.status,
                incident_id=a.incident_id,
                fingerprint=a.fingerprint,
            )
            for a in alerts
        ]
        self.store.put(Collection.ALERTS, docs)

    def save_ingested(
        self, alerts: Sequence[tuple[datetime, JsonDict]], incidents: Sequence[tuple[datetime, JsonDict]]
    ) -> None:
        """Store one ingest batch: alerts as ``(startsAt, body)``, incidents as ``(createdAt, body)``.

        Bodies are in the models' JSON form and trusted, not re-validated: the engine builds them from state
        that is valid by construction (`AlertRecord.to_body`, `IncidentState.to_body`); the store takes
        ownership of them. Stores that can (SQLite) commit the whole batch in one transaction.
        """
        # The attributes are the bodies' own texts (what `_attrs` would give), built inline: this runs per alert.
        alert_docs = [
            Doc(alert_key(body["labels"], body["fingerprint"]), order_key(starts), body,
                {"status": body["status"], "incident_id": body["incident_id"], "fingerprint": body["fingerprint"]}
                if body["incident_id"] is not None else {"status": body["status"], "fingerprint": body["fingerprint"]})
            for starts, body in alerts
        ]  # fmt: skip
        incident_docs = [
            Doc(body["id"], order_key(created), body,
                {"status": body["status"], "severity": body["severity"], "tenant": body["tenant"]})
            for created, body in incidents
        ]  # fmt: skip
        self.store.put_many([(Collection.ALERTS, alert_docs), (Collection.INCIDENTS, incident_docs)])

    def get_alert(self, fingerprint: str, tenant: str = DEFAULT_TENANT) -> Alert | None:
        """Return the alert of ``tenant`` with ``fingerprint``.

        A record stored before records were keyed by tenant is found by its bare fingerprint, and only
        when its tenant label is ``tenant``: one sender's fingerprint never reads another tenant's alert.
        """
        found = self._get(Alert, Collection.ALERTS, f"{tenant}/{fingerprint}")
        if found is None:
            legacy = self._get(Alert, Collection.ALERTS, fingerprint)
            if legacy is not None and tenant_of_labels(legacy.labels) == tenant:
                return legacy
        return found

    def list_alerts(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        incident_id: str | None = None,
        fingerprint: str | None = None,
        status: str | None = None,
    ) -> Page[Alert]:
        where = {"incident_id": incident_id, "fingerprint": fingerprint, "status": status}
        return self._page(Alert, Collection.ALERTS, limit=limit, cursor=cursor, where=where)

    # ---------------------------------------------------------------- audit, actions, plans, outcomes, risks

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Append ``entry`` to the hash-chained audit log; return it with ``seq``, hashes and ``recorded_at``.

        Appends of this process queue on a lock (no wasted retries); other processes and machines are
        kept off the same chain position by the store's conditional write on the chain head.
        """
        stamped = entry.model_copy(update={"recorded_at": utc_now(), "seq": None, "prev_hash": None, "hash": None})
        doc = self._doc(
            entry.id, entry.time, stamped, incident_id=entry.incident_id, action=entry.action, actor=entry.actor
        )
        with self._audit_lock:
            body = audit_chain.append(self.store, doc)
        return AuditEntry.model_validate(body)

    def list_audit(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        incident_id: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> Page[AuditEntry]:
        """Return audit entries newest first (by ``time``), filtered by equality and ``time >= since``."""
        where = {"incident_id": incident_id, "action": action, "actor": actor}
        return self._page(AuditEntry, Collection.AUDIT, limit=limit, cursor=cursor, where=where, since=since)

    def verify_audit(self) -> audit_chain.ChainStatus:
        """Recompute the audit chain from the store (see `config.audit_chain.verify`)."""
        return audit_chain.verify(self.store)

    def save_action(self, action: Action) -> None:
        doc = self._doc(
            action.action_id,
            action.created_at,
            action,
            incident_id=action.incident_id,
            status=action.status,
            action_type=action.action_type,
        )
        self.store.put(Collection.ACTIONS, [doc])

    def get_action(self, action_id: str) -> Action | None:
        return self._get(Action, Collection.ACTIONS, action_id)

    def list_actions(
        self, *, limit: int = 50, cursor: str | None = None, incident_id: str | None = None, status: str | None = None
    ) -> Page[Action]:
        where = {"incident_id": incident_id, "status": status}
        return self._page(Action, Collection.ACTIONS, limit=limit, cursor=cursor, where=where)

    def save_execution(self, record: ExecutedAction) -> None:
        """Insert or replace an Executor record (keyed by id, ordered by creation time)."""
        request = record.request
        doc = self._doc(
            record.id,
            record.created_at,
            record,
            state=record.state,
            tenant=request.tenant,
            target=request.target,
            incident_id=request.incident_id,
            idempotency_key=request.idempotency_key,
            correlation_id=request.correlation_id,
        )
        self.store.put(Collection.EXECUTIONS, [doc])

    def get_execution(self, action_id: str) -> ExecutedAction | None:
        return self._get(ExecutedAction, Collection.EXECUTIONS, action_id)

    def list_executions(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        state: str | None = None,
        tenant: str | None = None,
        incident_id: str | None = None,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
    ) -> Page[ExecutedAction]:
        """Return Executor records newest first (by creation), filtered by equality and ``created_at >= since``."""
        where = {
            "state": state,
            "tenant": tenant,
            "incident_id": incident_id,
            "idempotency_key": idempotency_key,
            "correlation_id": correlation_id,
            "target": target,
        }
        return self._page(ExecutedAction, Collection.EXECUTIONS, limit=limit, cursor=cursor, where=where, since=since)

    def iter_executions(self, **filters: Any) -> Iterator[ExecutedAction]:
        """Yield every Executor record matching `list_executions` filters, newest first, page by page."""
        cursor: str | None = None
        while True:
            page = self.list_executions(limit=500, cursor=cursor, **filters)
            yield from page.items
            cursor = page.next_cursor
            if cursor is None:
                return

    def save_patch_plan(self, plan: PatchPlan) -> None:
        """Insert or replace a plan (keyed by id, ordered by creation; filterable by status, state, advisory)."""
        doc = self._doc(
            plan.id, plan.created_at, plan, status=plan.status, state=plan.state, advisory_id=plan.advisory_id
        )
        self.store.put(Collection.PATCH_PLANS, [doc])

    def get_patch_plan(self, plan_id: str) -> PatchPlan | None:
        return self._get(PatchPlan, Collection.PATCH_PLANS, plan_id)

    def list_patch_plans(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: str | None = None,
        state: str | None = None,
        advisory_id: str | None = None,
    ) -> Page[PatchPlan]:
        where = {"status": status, "state": state, "advisory_id": advisory_id}
        return self._page(PatchPlan, Collection.PATCH_PLANS, limit=limit, cursor=cursor, where=where)

    def count_patch_plans(self, *, status: str | None = None, state: str | None = None) -> int:
        return self.store.count(Collection.PATCH_PLANS, _attrs(status=status, state=state) or None)

    def save_advisory(self, advisory: Advisory) -> None:
        """Insert or replace an advisory (keyed by id, ordered by publication)."""
        doc = self._doc(advisory.id, advisory.published_at, advisory, package=advisory.package)
        self.store.put(Collection.ADVISORIES, [doc])

    def get_advisory(self, advisory_id: str) -> Advisory | None:
        return self._get(Advisory, Collection.ADVISORIES, advisory_id)

    def list_advisories(
        self, *, limit: int = 50, cursor: str | None = None, package: str | None = None
    ) -> Page[Advisory]:
        where = {"package": package}
        return self._page(Advisory, Collection.ADVISORIES, limit=limit, cursor=cursor, where=where)

    def record_outcome(self, outcome: OutcomeRecord) -> None:
        doc_id = f"{order_key(outcome.timestamp)}:{outcome.incident_id}"
        self.store.put(
            Collection.OUTCOMES, [self._doc(doc_id, outcome.timestamp, outcome, incident_id=outcome.incident_id)]
        )

    def list_outcomes(
        self, *, limit: int = 50, cursor: str | None = None, incident_id: str | None = None
    ) -> Page[OutcomeRecord]:
        where = {"incident_id": incident_id}
        return self._page(OutcomeRecord, Collection.OUTCOMES, limit=limit, cursor=cursor, where=where)

    def save_risk(self, risk: Risk) -> None:
        self.store.put(Collection.RISKS, [self._doc(risk.id, risk.created_at, risk, state=risk.state, host=risk.host)])

    def get_risk(self, risk_id: str) -> Risk | None:
        return self._get(Risk, Collection.RISKS, risk_id)

    def list_risks(
        self, *, limit: int = 50, cursor: str | None = None, state: str | None = None, host: str | None = None
    ) -> Page[Risk]:
        where = {"state": state, "host": host}
        return self._page(Risk, Collection.RISKS, limit=limit, cursor=cursor, where=where)

    # ---------------------------------------------------------------- learning statistics and settings

    def bump_selection_stats(self, key: str, deltas: Mapping[str, float]) -> JsonDict:
        """Add to the counters of an agent-selection pattern; return the updated counters."""
        return self.store.increment(Collection.SELECTION_STATS, key, deltas)

    def get_selection_stats(self, key: str) -> JsonDict | None:
        return self.store.get(Collection.SELECTION_STATS, key)

    def bump_action_stats(self, action_type: str, deltas: Mapping[str, float]) -> JsonDict:
        """Add to the success/failure counters of an action type; return the updated counters."""
        return self.store.increment(Collection.ACTION_STATS, action_type, deltas)

    def get_action_stats(self, action_type: str) -> JsonDict | None:
        return self.store.get(Collection.ACTION_STATS, action_type)

    def put_setting(self, key: str, value: JsonDict) -> None:
        self.store.put(Collection.SETTINGS, [Doc(key, "", {"value": value})])

    def get_setting(self, key: str) -> JsonDict | None:
        body = self.store.get(Collection.SETTINGS, key)
        return body["value"] if body else None


def build_knowledge_base(settings: Settings) -> KnowledgeBase:
    """Return the knowledge base for ``settings.KB_BACKEND``; boto3 is imported only for DynamoDB."""
    store: DocumentStore
    if settings.KB_BACKEND is KbBackend.MEMORY:
        from config.kb_memory import MemoryDocumentStore

        store = MemoryDocumentStore(capacity=settings.KB_MEMORY_CAPACITY)
    elif settings.KB_BACKEND is KbBackend.SQLITE:
        from config.kb_sqlite import SqliteDocumentStore

        store = SqliteDocumentStore(settings.KB_PATH)
    else:
        from config.kb_dynamodb import DynamoDocumentStore

        store = DynamoDocumentStore.connect(settings.DYNAMODB_TABLE, settings.AWS_REGION, settings.AWS_ENDPOINT_URL)
    return KnowledgeBase(store)


class MemoryKnowledgeBase(KnowledgeBase):
    """A knowledge base over a bounded in-memory store (tests, demos)."""

    def __init__(self, capacity: int = 50_000) -> None:
        from config.kb_memory import MemoryDocumentStore

        super().__init__(MemoryDocumentStore(capacity=capacity))

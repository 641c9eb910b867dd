"""Alert identity: the fingerprint index answers exactly what hashing the labels would."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.alert_ops.dedup import AlertRecord, FingerprintIndex, fingerprint_of
from data.labels import label_fingerprint
from data.models import AlertIn, AlertState

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def delivery(labels: dict[str, str], fingerprint: str | None = None) -> AlertIn:
    return AlertIn(labels=labels, startsAt=T0, fingerprint=fingerprint)


def record_for(alert: AlertIn) -> AlertRecord:
    return AlertRecord(
        fingerprint=fingerprint_of(alert), tenant="acme", labels=dict(alert.labels), annotations={},
        status=AlertState.FIRING, starts_at=alert.startsAt, ends_at=None, last_seen=alert.startsAt, source=None,
    )  # fmt: skip


def test_index_gives_the_label_hash_for_known_reordered_and_unknown_label_sets() -> None:
    index = FingerprintIndex()
    first = delivery({"alertname": "DbDown", "instance": "db-1:9100"})
    assert index.fingerprint(first) == label_fingerprint(first.labels)
    index.remember(record_for(first))
    assert index.fingerprint(first) == "76dede1bcb8e7af9"  # answered from the index
    reordered = delivery({"instance": "db-1:9100", "alertname": "DbDown"})
    assert index.fingerprint(reordered) == "76dede1bcb8e7af9"
    other = delivery({"alertname": "DbDown", "instance": "db-2:9100"})
    assert index.fingerprint(other) == label_fingerprint(other.labels) != "76dede1bcb8e7af9"


def test_sender_fingerprint_wins_over_the_index() -> None:
    index = FingerprintIndex()
    labels = {"alertname": "DbDown", "instance": "db-1:9100"}
    index.remember(record_for(delivery(labels)))
    assert index.fingerprint(delivery(labels, fingerprint="abc123")) == "abc123"


def test_retain_forgets_label_sets_of_alerts_no_longer_tracked() -> None:
    index = FingerprintIndex()
    kept, dropped = record_for(delivery({"alertname": "A"})), record_for(delivery({"alertname": "B"}))
    index.remember(kept)
    index.remember(dropped)
    assert len(index) == 2
    index.retain({kept.key: kept})
    assert len(index) == 1
    assert index.fingerprint(delivery({"alertname": "B"})) == dropped.fingerprint  # still right, recomputed

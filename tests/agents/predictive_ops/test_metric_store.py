"""Metric store: vectorised frames, labelled samples, out-of-order handling, bounded history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from agents.predictive_ops.metric_store import MetricStore
from data.errors import InvalidInput
from data.models import MetricSampleIn

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def test_frames_fill_each_series_and_keep_the_newest() -> None:
    store = MetricStore(capacity=5)
    for n in range(8):
        store.ingest_frame(T0 + timedelta(minutes=n), ["a", "b"], ["cpu", "disk"], np.full((2, 2), float(n)))
    history = store.history("b", "disk")
    assert history is not None
    times, values = history
    assert list(values) == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert times[-1] == T0 + timedelta(minutes=7)
    names, matrix, _ = store.matrix(5)
    assert len(names) == 4 and matrix.shape == (4, 5)


def sample(minute: int, value: float) -> MetricSampleIn:
    return MetricSampleIn(
        labels={"instance": "web-1:9100", "__name__": "memory"}, timestamp=T0 + timedelta(minutes=minute), value=value
    )


def test_samples_out_of_order_are_inserted_or_dropped() -> None:
    store = MetricStore(capacity=3)
    store.ingest_samples([sample(2, 2.0), sample(0, 0.0), sample(1, 1.0)])
    assert list(store.history("web-1", "memory")[1]) == [0.0, 1.0, 2.0]  # type: ignore[index]
    store.ingest_samples([sample(5, 5.0), sample(3, 3.0)])
    assert list(store.history("web-1", "memory")[1]) == [2.0, 3.0, 5.0]  # type: ignore[index]
    store.ingest_samples([sample(-10, 9.0)])
    assert store.dropped == 1


def test_samples_without_host_or_metric_are_refused() -> None:
    store = MetricStore()
    with pytest.raises(InvalidInput):
        store.ingest_samples([MetricSampleIn(labels={"metric": "cpu"}, timestamp=T0, value=1.0)])
    assert store.history("x", "cpu") is None


def test_past_the_series_cap_the_stalest_series_makes_room_instead_of_a_refusal() -> None:
    store = MetricStore(capacity=4, max_series=2)

    def sample(host: str, minute: int) -> MetricSampleIn:
        return MetricSampleIn(
            labels={"host": host, "metric": "cpu"}, timestamp=datetime(2026, 5, 1, 12, minute, tzinfo=UTC), value=1.0
        )

    store.ingest_samples([sample("a", 1), sample("b", 2)])
    store.ingest_samples([sample("b", 3)])  # a is now the stalest
    store.ingest_samples([sample("c", 4)])
    assert sorted(store.series()) == [("b", "cpu"), ("c", "cpu")]
    assert store.history("a", "cpu") is None
    c = store.history("c", "cpu")
    assert c is not None and len(c[0]) == 1  # nothing of a's history carried over
    b = store.history("b", "cpu")
    assert b is not None and len(b[0]) == 2
    assert store.evicted == 1
    with pytest.raises(InvalidInput):  # one batch that cannot be held at all
        store.ingest_samples([sample("x", 5), sample("y", 5), sample("z", 5)])

"""Series sources: each sink names what it writes; the latest writer names a series."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from agents.predictive_ops import MetricStore, labels_to_series
from data.models import MetricSampleIn
from data.series_sources import SeriesSources, SourcedSink

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def test_frames_and_samples_are_named_after_their_sink() -> None:
    store, sources = MetricStore(), SeriesSources()
    simulator = SourcedSink(store, sources, "simulator", key_of=labels_to_series)
    pushed = SourcedSink(store, sources, "prometheus-remote-write", key_of=labels_to_series)
    simulator.ingest_frame(T0, ["h1", "h2"], ["cpu", "disk"], np.ones((2, 2)))
    pushed.ingest_samples([MetricSampleIn(labels={"instance": "h3:9100", "__name__": "disk"}, timestamp=T0, value=5)])
    assert sources.source_of("h2", "disk") == "simulator"
    assert sources.source_of("h3", "disk") == "prometheus-remote-write"
    assert sources.source_of("h9", "disk") is None
    pushed.ingest_samples([MetricSampleIn(labels={"host": "h1", "metric": "cpu"}, timestamp=T0, value=5)])
    assert sources.source_of("h1", "cpu") == "prometheus-remote-write"

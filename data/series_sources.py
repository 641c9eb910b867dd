"""Which source each metric series comes from (simulator, an HTTP client, Prometheus pull or push).

Sources mark the (host, metric) keys they write; readers (forecasts, risks, the dashboard) ask with
`source_of`. A series written by two sources is named after the latest. Thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from data.models import MetricSampleIn
from data.sinks import MetricSink

SeriesKey = tuple[str, str]


class SeriesSources:
    """A registry of (host, metric) -> source name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._of: dict[SeriesKey, str] = {}

    def mark(self, keys: Iterable[SeriesKey], source: str) -> None:
        with self._lock:
            for key in keys:
                self._of[key] = source

    def source_of(self, host: str, metric: str) -> str | None:
        """Return the source that last wrote (host, metric), or None for a series no source named."""
        with self._lock:
            return self._of.get((host, metric))


class SourcedSink:
    """A `MetricSink` that forwards to ``sink`` and marks what it forwards as coming from ``source``;
    ``key_of`` names a labelled sample's series the way the sink does."""

    def __init__(
        self, sink: MetricSink, sources: SeriesSources, source: str, *, key_of: Callable[[dict[str, str]], SeriesKey]
    ) -> None:
        self.sink = sink
        self.key_of = key_of
        self.sources = sources
        self.source = source
        self._frame_keys: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def ingest_frame(
        self, timestamp: datetime, hosts: Sequence[str], metrics: Sequence[str], values: NDArray[np.float64]
    ) -> None:
        self.sink.ingest_frame(timestamp, hosts, metrics, values)
        shape = (tuple(hosts), tuple(metrics))
        if shape != self._frame_keys:  # frames repeat the same hosts and metrics: mark them once
            self.sources.mark(((h, m) for h in hosts for m in metrics), self.source)
            self._frame_keys = shape

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        self.sink.ingest_samples(samples)
        self.sources.mark({self.key_of(s.labels) for s in samples}, self.source)

"""Bounded per-series metric history in numpy ring buffers (series = host x metric, or a real label set).

Implements the `MetricSink` protocol: the simulator writes whole frames (every host, every metric at
one timestamp) in one vectorised step; HTTP sources write labelled samples. A sample older than its
series' newest is inserted in time order when it falls inside the kept history, and counted as dropped
otherwise. Thread-safe (one lock); reads return copies.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from data.errors import InvalidInput
from data.labels import host_of
from data.models import MetricSampleIn

Array = NDArray[np.float64]


def series_key(host: str, metric: str) -> str:
    return f"{host}/{metric}"


def labels_to_series(labels: dict[str, str]) -> tuple[str, str]:
    """Return (host, metric) named by a sample's labels (host|instance, metric|__name__)."""
    host = labels.get("host") or (host_of(labels["instance"]) if labels.get("instance") else None)
    metric = labels.get("metric") or labels.get("__name__")
    if not host:
        raise InvalidInput("labels.host", "a sample needs a 'host' or 'instance' label")
    if not metric:
        raise InvalidInput("labels.metric", "a sample needs a 'metric' or '__name__' label")
    return host, metric


class MetricStore:
    """Keeps the newest ``capacity`` samples of each series, of at most ``max_series`` series: a new series past
    that takes the row of the stalest one (whose newest sample is the oldest), so a sender naming ever new series
    cannot grow memory, and a live series is never refused for one that went quiet."""

    def __init__(self, capacity: int = 1440, max_series: int = 50_000) -> None:
        self.capacity = capacity
        self.max_series = max_series
        self._lock = threading.Lock()
        self._index: dict[str, int] = {}
        self._names: list[tuple[str, str]] = []
        self._values = np.zeros((0, capacity))
        self._times = np.zeros((0, capacity))
        self._count = np.zeros(0, dtype=np.int64)  # samples written so far (head = count % capacity)
        self.dropped = 0
        self.evicted = 0  # series given up for newer ones

    def _ensure(self, keys: Sequence[tuple[str, str]]) -> NDArray[np.int64]:
        new = [k for k in dict.fromkeys(keys) if series_key(*k) not in self._index]
        if new:
            if len(self._names) + len(new) > self.max_series:
                new = self._evict_for(keys, new)
            for key in new:
                self._index[series_key(*key)] = len(self._names)
                self._names.append(key)
            grow = len(new)
            self._values = np.vstack([self._values, np.zeros((grow, self.capacity))])
            self._times = np.vstack([self._times, np.zeros((grow, self.capacity))])
            self._count = np.concatenate([self._count, np.zeros(grow, dtype=np.int64)])
        return np.array([self._index[series_key(*k)] for k in keys], dtype=np.int64)

    def _evict_for(self, keys: Sequence[tuple[str, str]], new: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Give the rows of the stalest series not named in ``keys`` to as many of the ``new`` ones as do not fit;
        return the new series still to be added. A batch naming more series than can be held is refused."""
        if len(dict.fromkeys(keys)) > self.max_series:
            raise InvalidInput("labels", f"one batch names more than {self.max_series} series")
        needed = len(self._names) + len(new) - self.max_series
        in_use = {row for k in keys if (row := self._index.get(series_key(*k))) is not None}
        stalest = np.argsort(self._newest(np.arange(len(self._names), dtype=np.int64)), kind="stable")
        victims = [row for row in stalest.tolist() if row not in in_use][:needed]
        for row, key in zip(victims, new, strict=False):
            del self._index[series_key(*self._names[row])]
            self._names[row] = key
            self._index[series_key(*key)] = row
            self._count[row] = 0  # the old samples are unreachable from here on
        self.evicted += len(victims)
        return new[len(victims) :]

    def ingest_frame(
        self, timestamp: datetime, hosts: Sequence[str], metrics: Sequence[str], values: NDArray[np.float64]
    ) -> None:
        keys = [(h, m) for h in hosts for m in metrics]
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        at = timestamp.timestamp()
        with self._lock:
            rows = self._ensure(keys)
            newest = self._newest(rows)
            fresh = newest < at
            self.dropped += int((~fresh).sum())
            rows, flat = rows[fresh], flat[fresh]
            slots = self._count[rows] % self.capacity
            self._values[rows, slots] = flat
            self._times[rows, slots] = at
            self._count[rows] += 1

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        keys = [labels_to_series(s.labels) for s in samples]
        with self._lock:
            rows = self._ensure(keys)
            pairs = sorted(zip(rows.tolist(), samples, strict=True), key=lambda pair: pair[1].timestamp)
            for row, sample in pairs:
                self._insert(row, sample.timestamp.timestamp(), sample.value)

    def _newest(self, rows: NDArray[np.int64]) -> Array:
        newest = np.full(len(rows), -np.inf)
        has = self._count[rows] > 0
        last = (self._count[rows] - 1) % self.capacity
        newest[has] = self._times[rows[has], last[has]]
        return newest

    def _insert(self, row: int, at: float, value: float) -> None:
        count = int(self._count[row])
        if count == 0 or self._times[row, (count - 1) % self.capacity] < at:
            slot = count % self.capacity
            self._values[row, slot], self._times[row, slot] = value, at
            self._count[row] += 1
            return
        times, values = self._ordered(row)
        if len(times) == self.capacity and at < times[0]:
            self.dropped += 1  # older than everything kept
            return
        position = int(np.searchsorted(times, at))
        times = np.insert(times, position, at)[-self.capacity :]
        values = np.insert(values, position, value)[-self.capacity :]
        n = len(times)
        self._times[row, :n], self._values[row, :n] = times, values
        self._count[row] = n

    def _ordered(self, row: int) -> tuple[Array, Array]:
        count = int(self._count[row])
        n = min(count, self.capacity)
        order = (np.arange(count - n, count)) % self.capacity
        return self._times[row, order].copy(), self._values[row, order].copy()

    def series(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._names)

    def history(self, host: str, metric: str) -> tuple[list[datetime], Array] | None:
        """Return (timestamps, values) in time order, or None for an unknown series."""
        arrays = self.arrays(host, metric)
        if arrays is None:
            return None
        times, values = arrays
        return [datetime.fromtimestamp(t, UTC) for t in times], values

    def arrays(self, host: str, metric: str) -> tuple[Array, Array] | None:
        """Return (epoch seconds, values) in time order, copies, or None for an unknown series."""
        with self._lock:
            row = self._index.get(series_key(host, metric))
            return None if row is None else self._ordered(row)

    def matrix(self, length: int) -> tuple[list[tuple[str, str]], Array, Array]:
        """Return the series with at least ``length`` samples, with their last ``length`` values and times."""
        with self._lock:
            rows = np.flatnonzero(self._count >= length)
            names = [self._names[r] for r in rows]
            values = np.empty((len(rows), length))
            times = np.empty((len(rows), length))
            for i, row in enumerate(rows):
                t, v = self._ordered(int(row))
                values[i], times[i] = v[-length:], t[-length:]
        return names, values, times

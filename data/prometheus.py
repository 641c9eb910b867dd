"""Metrics read from a Prometheus server: PromQL queries back-filled with `/api/v1/query_range`, then polled.

A `PrometheusSource` thread asks each configured `PromQuery` for the samples since it last heard from
it: the first time (and after an outage) that is a range query over the missing span (at most
``backfill``), afterwards one instant query per step. Each result series becomes (host, metric) by the
query's label mapping and is written to the metric sink like any other sample, and named in the
`SeriesSources` registry as coming from Prometheus. A failed round (server down, bad answer) is
retried with exponential back-off and reported by `status`; it never raises out of the thread.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from data.labels import host_of
from data.models import MetricSampleIn
from data.series_sources import SeriesSources
from data.sinks import MetricSink

log = logging.getLogger(__name__)

SOURCE = "prometheus"
MAX_POINTS = 11_000  # Prometheus refuses range queries over 11,000 points per series
METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.-]{0,127}$")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class PromQuery(BaseModel):
    """One PromQL query and how its result labels name a series: the host from ``host_label`` (an
    ``instance`` value loses its port), the metric either fixed (``metric``) or from ``metric_label``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    metric: str | None = Field(default=None, pattern=METRIC_NAME.pattern)
    metric_label: str | None = Field(default=None, pattern=LABEL_NAME.pattern)
    host_label: str = Field(default="instance", pattern=LABEL_NAME.pattern)

    @model_validator(mode="after")
    def _one_metric_name(self) -> PromQuery:
        if (self.metric is None) == (self.metric_label is None):
            raise ValueError("give exactly one of 'metric' (a fixed name) or 'metric_label'")
        return self

    def series(self, labels: dict[str, str]) -> tuple[str, str] | None:
        """Return (host, metric) for a result series' labels, or None when a label it needs is missing."""
        host = labels.get(self.host_label)
        metric = self.metric if self.metric is not None else labels.get(self.metric_label or "")
        if not host or not metric:
            return None
        return (host_of(host) if self.host_label == "instance" else host), metric


def redact(url: str) -> str:
    """Return ``url`` without a user:password part, for showing it."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PrometheusError(Exception):
    """Prometheus could not be reached or answered with something other than a successful result."""


Series = list[tuple[dict[str, str], list[tuple[float, float]]]]


class PrometheusApi(Protocol):
    def query_range(self, query: str, start: float, end: float, step: float) -> Series: ...

    def query(self, query: str, at: float) -> Series: ...


class HttpPrometheus:
    """The Prometheus HTTP API over urllib (`PrometheusApi`); times are epoch seconds."""

    def __init__(self, url: str, *, timeout_s: float = 10.0, max_body_bytes: int = 64 * 1024 * 1024) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_body_bytes = max_body_bytes

    def _get(self, path: str, params: dict[str, str]) -> Any:
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                raw = answer.read(self.max_body_bytes + 1)
        except urllib.error.HTTPError as error:
            raw = error.read(4096)
            raise PrometheusError(f"HTTP {error.code} from {path}: {raw[:300].decode(errors='replace')}") from None
        except (OSError, ValueError) as error:
            raise PrometheusError(f"{path}: {error}") from None
        if len(raw) > self.max_body_bytes:
            raise PrometheusError(f"{path}: answer larger than {self.max_body_bytes} bytes")
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise PrometheusError(f"{path}: answer is not JSON") from None
        if not isinstance(decoded, dict) or decoded.get("status") != "success":
            reason = decoded.get("error") if isinstance(decoded, dict) else None
            raise PrometheusError(f"{path}: {reason or 'unsuccessful answer'}")
        return decoded.get("data")

    def query_range(self, query: str, start: float, end: float, step: float) -> Series:
        data = self._get(
            "/api/v1/query_range", {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        )
        return _parse(data, "matrix")

    def query(self, query: str, at: float) -> Series:
        return _parse(self._get("/api/v1/query", {"query": query, "time": f"{at:.3f}"}), "vector")


def _parse(data: Any, kind: str) -> Series:
    """Return [(labels, [(t, value), ...])] from a matrix or vector result; non-finite values are dropped."""
    if not isinstance(data, dict) or data.get("resultType") != kind or not isinstance(data.get("result"), list):
        raise PrometheusError(f"expected a {kind} result")
    out: Series = []
    for item in data["result"]:
        try:
            labels = {str(k): str(v) for k, v in item["metric"].items()}
            pairs = item["values"] if kind == "matrix" else [item["value"]]
            points = [(float(t), float(v)) for t, v in pairs]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise PrometheusError("malformed series in the result") from None
        out.append((labels, [(t, v) for t, v in points if math.isfinite(v) and math.isfinite(t)]))
    return out


@dataclass
class SourceStatus:
    """What `/api/health` reports about the Prometheus source."""

    url: str
    up: bool | None = None  # None until the first round
    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    retry_in_s: float | None = None
    series: int = 0
    samples: int = 0
    queries: list[str] = field(default_factory=list)


class PrometheusSource:
    """Polls ``queries`` every ``step`` on a named thread and writes what it reads to ``sink``. Thread-safe."""

    def __init__(
        self,
        api: PrometheusApi,
        queries: Sequence[PromQuery],
        sink: MetricSink,
        *,
        url: str,
        sources: SeriesSources | None = None,
        step: timedelta = timedelta(seconds=60),
        backfill: timedelta = timedelta(hours=24),
        max_backoff: timedelta = timedelta(minutes=5),
        now: Callable[[], float] = time.time,
        join_timeout_s: float = 15.0,
    ) -> None:
        self.api = api
        self.queries = list(queries)
        self.sink = sink
        self.sources = sources
        self.step_s = step.total_seconds()
        self.backfill_s = backfill.total_seconds()
        self.max_backoff_s = max_backoff.total_seconds()
        self._now = now
        self._join_timeout_s = join_timeout_s
        self._lock = threading.Lock()
        self._status = SourceStatus(url=redact(url), queries=[q.query for q in self.queries])
        self._until: dict[int, float] = {}  # per query: the newest evaluation time read
        self._series: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Read every query once (a range over what is missing, or an instant query); return samples written.

        Raises `PrometheusError` when any query fails; the queries before it keep what they wrote.
        """
        now = self._now()
        written = 0
        for i, query in enumerate(self.queries):
            since = self._until.get(i, now - self.backfill_s)
            if now - since > 1.5 * self.step_s:
                start = max(since + self.step_s, now - self.backfill_s, now - self.step_s * (MAX_POINTS - 1))
                found = self.api.query_range(query.query, start, now, self.step_s)
            else:
                found = self.api.query(query.query, now)
            written += self._write(query, found)
            self._until[i] = now
        return written

    def _write(self, query: PromQuery, found: Series) -> int:
        samples: list[MetricSampleIn] = []
        keys: set[tuple[str, str]] = set()
        for labels, points in found:
            key = query.series(labels)
            if key is None:
                continue
            keys.add(key)
            named = {"host": key[0], "metric": key[1]}
            samples.extend(
                MetricSampleIn(labels=named, timestamp=datetime.fromtimestamp(t, UTC), value=v) for t, v in points
            )
        if samples:
            self.sink.ingest_samples(samples)
        if self.sources is not None and keys:
            self.sources.mark(keys, SOURCE)
        with self._lock:
            self._series |= keys
            self._status.series = len(self._series)
            self._status.samples += len(samples)
        return len(samples)

    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(**{**self._status.__dict__, "queries": list(self._status.queries)})

    def _round(self) -> float:
        """Poll once, record the outcome; return the seconds to wait before the next round."""
        try:
            self.poll()
        except Exception as error:  # one failed round is logged and retried, never fatal to the engine
            with self._lock:
                s = self._status
                s.up, s.last_error = False, str(error)[:500]
                s.consecutive_failures += 1
                wait = min(self.step_s * 2.0 ** (s.consecutive_failures - 1), max(self.max_backoff_s, self.step_s))
                s.retry_in_s = wait
            log.warning("Prometheus round failed (%d in a row), retrying in %.0f s: %s",
                        s.consecutive_failures, wait, error)  # fmt: skip
            return wait
        with self._lock:
            s = self._status
            s.up, s.last_success, s.consecutive_failures, s.retry_in_s = True, datetime.now(UTC), 0, None
        return self.step_s

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="prometheus-source", daemon=False)
        self._thread.start()

    def stop(self) -> None:
        """Signal the thread and wait for it (logged if it does not finish in time)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(self._join_timeout_s)
        if thread.is_alive():
            log.error("prometheus-source did not stop within %.0f s", self._join_timeout_s)
        self._thread = None

    def _run(self, stop: threading.Event) -> None:
        wait = 0.0
        while not stop.wait(wait):
            wait = self._round()

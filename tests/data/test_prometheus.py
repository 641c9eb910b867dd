"""The Prometheus pull source: label mapping, back-fill then poll, a Prometheus that is down, and the real thing.

The live test runs Debian's Prometheus and node exporter on loopback ports. The node exporter's textfile
collector serves a disk that fills at a rate the test chose; two hours of its past are written into
Prometheus' storage with promtool. OpsForge back-fills them with query_range, forecasts the disk, and
the time the fill really reaches 90 % lies inside the risk's interval.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.predictive_ops import MetricStore, PredictiveOps
from data.prometheus import HttpPrometheus, PrometheusError, PrometheusSource, PromQuery, Series, SourceStatus
from data.series_sources import SeriesSources
from tests.conftest import free_port
from tests.live_prometheus import MISSING, ControlledFill, Fill, backfill, node_exporter, prometheus, wait_for


def test_a_query_names_host_and_metric_from_its_labels() -> None:
    fixed = PromQuery(query="up", metric="disk")
    assert fixed.series({"instance": "web-1:9100", "job": "node"}) == ("web-1", "disk")
    assert fixed.series({"job": "node"}) is None
    by_label = PromQuery(query="x", metric_label="kind", host_label="node")
    assert by_label.series({"node": "db-2:9100", "kind": "inodes"}) == ("db-2:9100", "inodes")  # not an instance
    with pytest.raises(ValueError, match="exactly one"):
        PromQuery(query="up")
    with pytest.raises(ValueError, match="exactly one"):
        PromQuery(query="up", metric="disk", metric_label="kind")
    with pytest.raises(ValueError):
        PromQuery(query="up", metric="disk; drop")


class RecordingApi:
    """A `PrometheusApi` that answers every call with one point per series at the asked time and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []
        self.fail = False

    def query_range(self, query: str, start: float, end: float, step: float) -> Series:
        if self.fail:
            raise PrometheusError("down")
        self.calls.append(("range", start, end))
        return [({"instance": "h:9100"}, [(end - step, 1.0), (end, 2.0)])]

    def query(self, query: str, at: float) -> Series:
        if self.fail:
            raise PrometheusError("down")
        self.calls.append(("instant", at, at))
        return [({"instance": "h:9100"}, [(at, 3.0)]), ({"job": "no host"}, [(at, 4.0)])]


def test_the_source_backfills_polls_and_catches_up_after_an_outage() -> None:
    clock = [10_000.0]
    api, store, sources = RecordingApi(), MetricStore(), SeriesSources()
    source = PrometheusSource(
        api, [PromQuery(query="q", metric="disk")], store, url="http://prom", sources=sources,
        step=timedelta(seconds=60), backfill=timedelta(hours=1), now=lambda: clock[0],
    )  # fmt: skip
    assert source.poll() == 2 and api.calls == [("range", 10_000 - 3600 + 60, 10_000)]
    clock[0] += 60
    assert source.poll() == 1 and api.calls[-1] == ("instant", 10_060, 10_060)
    api.fail = True
    clock[0] += 60
    with pytest.raises(PrometheusError):
        source.poll()
    api.fail = False
    clock[0] += 600  # back after ten minutes: the gap is read as a range
    source.poll()
    assert api.calls[-1] == ("range", 10_060 + 60, 10_720)
    assert sources.source_of("h", "disk") == "prometheus" and source.status().series == 1
    stored = store.arrays("h", "disk")
    assert stored is not None and list(stored[1]) == [1.0, 2.0, 3.0, 1.0, 2.0]


def test_a_prometheus_that_is_down_is_retried_with_back_off_and_reported() -> None:
    port = free_port()  # nothing listens there
    source = PrometheusSource(
        HttpPrometheus(f"http://127.0.0.1:{port}", timeout_s=2), [PromQuery(query="up", metric="disk")],
        MetricStore(), url=f"http://127.0.0.1:{port}", step=timedelta(seconds=0.2), max_backoff=timedelta(seconds=1),
    )  # fmt: skip
    assert source.status().up is None
    source.start()
    try:

        def failed_four_times() -> SourceStatus | None:
            status = source.status()
            return status if status.consecutive_failures >= 4 else None

        status = wait_for(failed_four_times, "four failed rounds", 30)
    finally:
        started = time.monotonic()
        source.stop()
        assert time.monotonic() - started < 5  # a waiting back-off does not delay the stop
    assert status.up is False and status.last_success is None and status.last_error
    assert status.retry_in_s is not None and 0.8 <= status.retry_in_s <= 1.0  # 0.2, 0.4, 0.8, then capped at 1


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_pull_from_a_real_prometheus_forecasts_the_crossing_within_the_interval(tmp_path: Path) -> None:
    now = time.time()
    # 40 % two hours ago, 90 % in 25 minutes: about 0.0069 % a second, the noise of a real disk gauge
    fill = Fill(host="web-7", t0=now - 7200, start=40.0, rate=50 / (7200 + 1500), noise=0.05, seed=3)
    backfill(tmp_path / "data", tmp_path, fill, since=now - 7200, until=now - 15, step=15)
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    writer = ControlledFill(textfiles, [fill])
    try:
        with node_exporter(textfiles) as target, prometheus(tmp_path, target) as url:
            query = PromQuery(query="max by (host) (opsforge_test_disk_used_percent)", metric="disk", host_label="host")
            store, sources = MetricStore(), SeriesSources()
            source = PrometheusSource(
                HttpPrometheus(url), [query], store, url=url, sources=sources, step=timedelta(seconds=15),
                backfill=timedelta(hours=3),
            )  # fmt: skip
            wait_for(lambda: source.poll() >= 400 or None, "the back-fill with the scraped samples", 30)
            time.sleep(16)  # one step on: an instant query adds the newest scraped value
            assert source.poll() == 1
    finally:
        writer.stop()
    ops = PredictiveOps(store, source_of=sources.source_of)
    ops.refresh()
    assert ops.breaches() == []
    (risk,) = ops.risks()
    truth = datetime.fromtimestamp(fill.crosses(90.0), UTC)
    assert (risk.host, risk.metric, risk.source, risk.method) == ("web-7", "disk", "prometheus", "linear_since_reset")
    assert risk.eta_earliest is not None and risk.eta_latest is not None
    assert risk.eta_earliest <= truth <= risk.eta_latest, (risk.eta_earliest, truth, risk.eta_latest)
    assert abs(risk.eta - truth) < timedelta(minutes=3)
    (forecast,) = ops.forecasts()
    assert forecast.source == "prometheus"

"""The in-process ingest seams: how sources (the simulator, HTTP handlers) hand data to the engine.

The simulator only ever talks to these protocols, so the engine cannot tell simulated from real
data, and tests can inject a recording fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from data.models import AlertIn, MetricSampleIn, TopologyIn


class AlertSink(Protocol):
    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        """Accept a batch of alerts; returns once they are durable in the store."""


class MetricSink(Protocol):
    def ingest_frame(
        self,
        timestamp: datetime,
        hosts: Sequence[str],
        metrics: Sequence[str],
        values: NDArray[np.float64],
    ) -> None:
        """Accept one sample per (host, metric) at ``timestamp``; ``values`` has shape (hosts, metrics)."""

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        """Accept individually labelled samples (the HTTP path)."""


class TopologySink(Protocol):
    def set_topology(self, topology: TopologyIn) -> None:
        """Replace one tenant's service graph."""


class RecordingSink:
    """A test double implementing every sink: it keeps what it is given, in order."""

    def __init__(self) -> None:
        self.alerts: list[AlertIn] = []
        self.frames: list[tuple[datetime, list[str], list[str], NDArray[np.float64]]] = []
        self.samples: list[MetricSampleIn] = []
        self.topologies: dict[str, TopologyIn] = {}

    def ingest_alerts(self, alerts: Sequence[AlertIn]) -> None:
        self.alerts.extend(alerts)

    def ingest_frame(
        self,
        timestamp: datetime,
        hosts: Sequence[str],
        metrics: Sequence[str],
        values: NDArray[np.float64],
    ) -> None:
        self.frames.append((timestamp, list(hosts), list(metrics), np.array(values, copy=True)))

    def ingest_samples(self, samples: Sequence[MetricSampleIn]) -> None:
        self.samples.extend(samples)

    def set_topology(self, topology: TopologyIn) -> None:
        self.topologies[topology.tenant] = topology

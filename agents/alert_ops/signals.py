"""What correlation knows of alerts and incidents: the `Signal` of one alert occurrence, with its hygiene and
availability classes, and the `HotIncident` built from signals (per service, host and site, the onsets
it has seen).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.alert_ops.topology import TenantGraph

HYGIENE_NAME = re.compile(
    r"cert|ssl|tls.?expir|licen[cs]|backup|cron|scheduled|job.?fail|disk.?space.?warn|disk.?usage|"
    r"filesystem.?(usage|space)|restart(?!.{0,8}loop)|reload|config|expir|ntp|snapshot|reboot.?required",
    re.IGNORECASE,
)
AVAILABILITY_NAME = re.compile(
    r"(instance|node|host|target|machine|server).?(is.?)?(down|unreachable|unavailable|offline)|unreachable",
    re.IGNORECASE,
)


def is_availability(alertname: str) -> bool:
    """Return True for an alert that says a host or scrape target cannot be reached (node-level availability)."""
    return AVAILABILITY_NAME.search(alertname) is not None


def is_hygiene(alertname: str, severity: int) -> bool:
    """Return True for an alert that reports a local maintenance condition rather than an outage symptom."""
    return severity < 4 and HYGIENE_NAME.search(alertname) is not None


@dataclass(slots=True)
class AlertTraits:
    """The parts of an alert's `Signal` that depend only on its labels and its tenant's graph, not on time.

    An alert's labels never change, so these are derived once per alert and graph (`graph` is the one they
    were derived with; a replaced topology is a new graph object) instead of on every occurrence. Not frozen:
    a frozen dataclass's construction costs more than the memo saves on an alert seen once; never mutated.
    """

    graph: TenantGraph | None
    alertname: str
    host: str | None
    services: tuple[str, ...]
    severity: int
    hygiene: bool
    stable_labels: frozenset[tuple[str, str]]
    site: str | None
    availability: bool  # `is_availability` of the alertname

    @property
    def site_key(self) -> str | None:
        """Return the site this availability alert counts toward in a site burst, or None."""
        return self.site if self.availability and self.host else None


@dataclass(slots=True)
class Signal:
    """What correlation needs of one alert occurrence: the alert (fingerprint, tenant and the `AlertTraits` shared
    by all its occurrences, read as ``signal.traits.host``: a chain costs as little as a field, a forwarding
    property five times more on the hot path) and when this occurrence started."""

    fingerprint: str
    tenant: str
    traits: AlertTraits
    at: datetime


@dataclass
class Span:
    """Onset times of the alerts seen on one service or host of an incident (the first and the latest few)."""

    first: datetime
    last: datetime
    recent: list[datetime] = field(default_factory=list)

    KEEP = 16

    def gap(self, at: datetime) -> float:
        """Return the seconds from ``at`` to the nearest known onset.

        Not the distance to the interval [first, last]: an incident that lives for hours must not
        make every alert in those hours look simultaneous with it.
        """
        # The nearest onset as a timedelta, converted once (total_seconds is monotone, so the minimum is the same).
        return min(map(abs, map(at.__sub__, (self.first, *self.recent)))).total_seconds()

    def extend(self, at: datetime) -> None:
        """Add the onset ``at``: ``first`` and ``last`` widen to it, ``recent`` keeps the latest `KEEP` onsets."""
        self.first = min(self.first, at)
        self.last = max(self.last, at)
        self.recent.append(at)
        if len(self.recent) > self.KEEP:
            del self.recent[0]


@dataclass
class HotIncident:
    """The in-memory state of an open (or recently resolved) incident used to score new alerts."""

    id: str
    tenant: str
    hygiene: bool
    first_at: datetime
    last_at: datetime
    services: dict[str, Span] = field(default_factory=dict)
    hosts: dict[str, Span] = field(default_factory=dict)
    sites: dict[str, Span] = field(default_factory=dict)  # onsets of availability alerts, per site
    alertnames: Counter[str] = field(default_factory=Counter)
    labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    members: list[Signal] = field(default_factory=list)
    fingerprints: set[str] = field(default_factory=set)
    onset_last: datetime | None = None  # latest first onset of a distinct alert: where the cascade front is
    earliest: Signal | None = None  # the member that started first

    @property
    def front(self) -> datetime:
        """Return where the cascade front is: the latest first onset of a distinct alert."""
        return self.onset_last or self.last_at

    def add(self, signal: Signal) -> None:
        """Add one occurrence. A re-fire of an alert already in the incident is a condition that persists,
        not a new symptom: it joins the members but moves neither the spans nor the cascade front, so a
        flapping alert cannot keep an incident looking fresh to unrelated faults for hours."""
        self.members.append(signal)
        if self.earliest is None or signal.at < self.earliest.at:
            self.earliest = signal
        self.first_at = min(self.first_at, signal.at)
        self.last_at = max(self.last_at, signal.at)
        if signal.fingerprint in self.fingerprints:
            return
        self.fingerprints.add(signal.fingerprint)
        self.onset_last = signal.at if self.onset_last is None else max(self.onset_last, signal.at)
        traits = signal.traits
        for service in traits.services:
            _extend(self.services, service, signal.at)
        if traits.host:
            _extend(self.hosts, traits.host, signal.at)
        if site := traits.site_key:
            _extend(self.sites, site, signal.at)
        self.alertnames[traits.alertname] += 1
        self.labels.update(traits.stable_labels)

    def absorb(self, other: HotIncident) -> None:
        """Add every member of ``other`` (a merge), as if each had joined this incident."""
        for signal in other.members:
            self.add(signal)


def _extend(spans: dict[str, Span], key: str, at: datetime) -> None:
    span = spans.get(key)
    if span is None:
        spans[key] = Span(at, at)
    else:
        span.extend(at)

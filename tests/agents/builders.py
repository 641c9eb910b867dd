"""Builders shared by the AlertOps tests: a small tenant graph, its reference time, and alert occurrences."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.alert_ops.signals import AlertTraits, Signal
from data.models import TopologyIn

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def topology(tenant: str = "acme") -> TopologyIn:
    """web -> api -> db, api -> cache; mail is unrelated."""
    services = [
        {"name": "web", "hosts": ["web-1", "web-2"]},
        {"name": "api", "hosts": ["api-1"]},
        {"name": "db", "hosts": ["db-1"]},
        {"name": "cache", "hosts": ["cache-1"]},
        {"name": "mail", "hosts": ["mail-1"]},
    ]
    deps = [["web", "api"], ["api", "db"], ["api", "cache"]]
    return TopologyIn.model_validate({"tenant": tenant, "services": services, "dependencies": deps})


def occurrence(
    fingerprint: str,
    alertname: str,
    host: str | None,
    services: tuple[str, ...],
    at: datetime,
    *,
    severity: int = 4,
    hygiene: bool = False,
    stable_labels: frozenset[tuple[str, str]] = frozenset(),
    site: str | None = None,
    availability: bool = False,
    tenant: str = "acme",
) -> Signal:
    """Return a `Signal` of tenant ``tenant`` whose traits are given directly (not derived from labels)."""
    traits = AlertTraits(None, alertname, host, services, severity, hygiene, stable_labels, site, availability)
    return Signal(fingerprint, tenant, traits, at)

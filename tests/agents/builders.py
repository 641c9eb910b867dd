"""Builders shared by the AlertOps tests: a small tenant graph and its reference time."""

from __future__ import annotations

from datetime import UTC, datetime

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

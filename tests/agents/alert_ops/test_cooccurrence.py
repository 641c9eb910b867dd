"""Alertname co-occurrence learned from closed incidents, per tenant and over every tenant."""

from __future__ import annotations

from agents.alert_ops.cooccurrence import CooccurrenceStats


def test_cooccurrence_per_tenant_is_shrunk_towards_the_global_counts() -> None:
    stats = CooccurrenceStats()
    for _ in range(20):  # at acme, DiskFull and DbSlow come together
        stats.learn({"DiskFull", "DbSlow"}, "acme")
    for _ in range(3):  # globex has seen them, each with other names, three times
        stats.learn({"DiskFull", "Other"}, "globex")
        stats.learn({"DbSlow", "Another"}, "globex")
    acme, globex = stats.confidence("DiskFull", "DbSlow", "acme"), stats.confidence("DiskFull", "DbSlow", "globex")
    overall = stats.confidence("DiskFull", "DbSlow")
    assert acme is not None and globex is not None and overall is not None
    assert globex < overall < acme  # each tenant between its own history and everyone's
    assert stats.confidence("DiskFull", "DbSlow", "initech") == overall  # no history: everyone's
    again = CooccurrenceStats()
    again.load(stats.state())
    assert again.confidence("DiskFull", "DbSlow", "globex") == globex

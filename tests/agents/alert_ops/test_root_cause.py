"""Root-cause ranking: rank flows down the calls only to callees that could have caused their callers' alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.alert_ops.root_cause import CALIBRATION, calibrated, personalised_pagerank, rank_root_cause
from agents.alert_ops.signals import Signal
from agents.alert_ops.topology import TenantGraph, TopologyRegistry
from data.models import TopologyIn
from tests.agents.builders import occurrence

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def graph() -> TenantGraph:
    """web -> api -> db; api -> storage (storage is silent unless it alerts)."""
    services = [{"name": n, "hosts": [f"{n}-1"]} for n in ("web", "api", "db", "storage")]
    deps = [["web", "api"], ["api", "db"], ["api", "storage"]]
    registry = TopologyRegistry()
    registry.set_topology(TopologyIn.model_validate({"tenant": "acme", "services": services, "dependencies": deps}))
    tenant = registry.get("acme")
    assert tenant is not None
    return tenant


def signal(service: str, seconds: float, severity: int = 3) -> Signal:
    at = T0 + timedelta(seconds=seconds)
    host = f"{service}-1"
    return occurrence(f"{service}-{seconds}", "Errors", host, (service,), at, severity=severity)


def named(service: str, alertname: str, seconds: float) -> Signal:
    at = T0 + timedelta(seconds=seconds)
    return occurrence(f"{service}-{alertname}", alertname, f"{service}-1", (service,), at, severity=3)


def test_an_earlier_alert_whose_name_usually_joins_loses_to_one_whose_name_usually_opens() -> None:
    # A latency alert a minute before a database going down: by onset alone the latency alert's service is the
    # root; the learned roles say latency alerts are mostly symptoms and database-down alerts mostly openers.
    signals = [named("cache", "LatencyHigh", 0), named("db", "DatabaseDown", 60)]
    shares = {"LatencyHigh": 0.1, "DatabaseDown": 0.9}
    assert rank_root_cause(signals, None).service == "cache"
    assert rank_root_cause(signals, None, shares.__getitem__).service == "db"


def test_names_alike_in_role_leave_the_onset_order_alone() -> None:
    signals = [named("cache", "LatencyHigh", 0), named("db", "DatabaseDown", 60)]
    assert rank_root_cause(signals, None, lambda name: 0.5).service == "cache"


def test_the_callee_that_started_first_is_the_root() -> None:
    signals = [signal("db", 0, 4), signal("api", 40), signal("web", 90), signal("web", 95)]
    root = rank_root_cause(signals, graph())
    assert root.service == "db" and root.host == "db-1"
    assert root.confidence is not None and 0.5 < root.confidence <= 1.0


def test_a_callee_that_started_long_after_its_callers_does_not_take_their_rank() -> None:
    # api alerts first and loudly; db joins ten minutes later (another problem, or a consequence of load)
    signals = [signal("api", 0, 4), signal("web", 30), signal("web", 35), signal("db", 600), signal("db", 605)]
    root = rank_root_cause(signals, graph())
    assert root.service == "api"


def test_a_callee_seen_slightly_after_its_caller_still_ranks_first() -> None:
    # evaluation delay or skew: the cause's first alert arrives a minute after the first symptom
    signals = [signal("api", 0), signal("web", 20), signal("db", 60, 4), signal("db", 70, 4)]
    root = rank_root_cause(signals, graph())
    assert root.service == "db"


def test_a_site_outage_is_rooted_at_the_first_alert_on_the_site_not_the_deepest_callee() -> None:
    def node(service: str, seconds: float, name: str = "InstanceDown") -> Signal:
        at = T0 + timedelta(seconds=seconds)
        host = f"{service}-1"
        return occurrence(f"{name}-{service}", name, host, (service,), at, severity=5, site="one", availability=True)

    link = occurrence("link", "SiteLinkDown", "web-1", ("web",), T0, severity=5, site="one")
    hosts_down = [node(service, 90 + i) for i, service in enumerate(("web", "api", "db", "storage"))]
    root = rank_root_cause([link, *hosts_down], graph())
    assert root.service == "web" and root.host == "web-1"
    assert "site outage" in root.evidence
    # Two hosts down together are no site outage: rank flows down the calls as usual.
    assert rank_root_cause([node("api", 0), node("db", 5)], graph()).service == "db"


def test_pagerank_keeps_the_mass_and_sends_rank_down_the_calls() -> None:
    ranks = personalised_pagerank(
        ["web", "api", "db"], [("web", "api", 1.0), ("api", "db", 1.0)], dict.fromkeys(["web", "api", "db"], 1 / 3)
    )
    assert list(ranks) == ["web", "api", "db"]
    assert abs(sum(ranks.values()) - 1.0) < 1e-9
    assert ranks["db"] > ranks["api"] > ranks["web"]
    alone = personalised_pagerank(["a", "b"], [], {"a": 0.25, "b": 0.75})
    assert alone == {"a": 0.25, "b": 0.75}  # no edges: the restart distribution itself


def test_the_evidence_names_the_runner_up_its_margin_and_why_it_lost() -> None:
    signals = [signal("db", 0, 4), signal("api", 40), signal("web", 90)]
    root = rank_root_cause(signals, graph())
    runner, second = root.ranking[1]
    top = root.ranking[0][1]
    assert root.service == "db" and runner == "api"
    assert f"runner-up api scored {second:.3g} against {top:.3g}" in root.evidence
    assert f"(margin {100 * (top - second) / top:.0f} %)" in root.evidence
    assert "its alerts began 40 s after the winner's" in root.evidence
    assert "it calls the winner (1 hop), so its alerts can be symptoms" in root.evidence
    alone = rank_root_cause([signal("db", 0)], graph())
    assert "runner-up" not in alone.evidence and alone.confidence == 1.0


def test_confidence_is_the_top_two_share_mapped_monotonically_onto_measured_hit_rates() -> None:
    shares = [0.5 + i / 200 for i in range(101)]
    mapped = [calibrated(s) for s in shares]
    assert mapped == sorted(mapped) and mapped[0] == 0.5 and mapped[-1] == CALIBRATION[-1][1]
    assert calibrated(0.75) < 0.65  # a 3:1 lead was right less often than 3 times in 4 on the tuning storms
    assert calibrated(0.2) == 0.5 and calibrated(1.5) == CALIBRATION[-1][1]

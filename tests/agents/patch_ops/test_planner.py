"""Planning: affected hosts, canary choice, cumulative waves, the redundancy rule, priority."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from agents.patch_ops import RolloutPolicy, affected, build_plan
from data.advisories import Advisory
from data.errors import Conflict
from data.inventory import HostInfo
from data.models import Severity

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def host(name: str, *, service: str = "acme-web", role: str = "web", site: str = "fra1", crit: str = "high",
         os: str = "ubuntu-22.04", version: str = "1.0.1", tenant: str = "acme") -> HostInfo:  # fmt: skip
    return HostInfo(name, tenant, site, role, service, os, crit, packages={"openssl": version})


def advisory(**fields: object) -> Advisory:
    values: dict[str, object] = {
        "id": "OSA-1",
        "package": "openssl",
        "fixed_version": "1.0.2",
        "severity": Severity.HIGH,
        "cvss": 8.0,
        "affected_os": ["ubuntu-22.04"],
        "published_at": T0,
    }
    values.update(fields)
    return Advisory.model_validate(values)


def fleet(n: int) -> list[HostInfo]:
    roles = [("web", "high"), ("api", "high"), ("db", "critical"), ("backup", "low"), ("queue", "medium")]
    out = []
    for i in range(n):
        role, crit = roles[i % len(roles)]
        out.append(host(f"h{i:02d}", service=f"acme-{role}", role=role, site=f"s{i % 2}", crit=crit))
    return out


def test_affected_needs_the_package_an_affected_os_and_an_older_version() -> None:
    hosts = [
        host("old"),
        host("fixed", version="1.0.2"),
        host("newer", version="1.1.0"),
        host("win", os="windows-2022"),
        HostInfo("none", "acme", "fra1", "web", "acme-web", "ubuntu-22.04", "high", packages={}),
    ]
    assert [h.name for h in affected(advisory(), hosts)] == ["old"]
    listed = advisory(affected_versions=["1.0.0"])
    assert affected(listed, [host("a", version="1.0.0"), host("b", version="1.0.1")])[0].name == "a"
    with pytest.raises(Conflict):
        build_plan(plan_id="P", advisory=advisory(), hosts=[host("fixed", version="1.0.2")], policy=RolloutPolicy(),
                   now=T0)  # fmt: skip


def test_canary_is_least_critical_first_one_per_role_and_site_and_bounded() -> None:
    hosts = fleet(40)
    plan = build_plan(plan_id="P", advisory=advisory(), hosts=hosts, policy=RolloutPolicy(), now=T0)
    canary = plan.canary_phases[0].hosts
    assert plan.canary_size == len(canary) == 4  # 10 % of 40
    by_name = {h.name: h for h in hosts}
    groups = [(by_name[c].role, by_name[c].site) for c in canary]
    assert len(set(groups)) == len(groups)  # never two from one role and site
    roles = [by_name[c].role for c in canary]
    assert len(set(roles)) == len(roles)  # one role at a time: every role is tried before any twice
    assert {"backup", "queue"} <= set(roles)  # the least critical roles first
    assert "db" not in roles  # the most critical last: 4 of 5 roles fit in 10 %
    small = build_plan(plan_id="P", advisory=advisory(), hosts=hosts[:2], policy=RolloutPolicy(), now=T0)
    assert small.canary_size == 1 and len(small.canary_phases) == 2


def test_waves_reach_the_cumulative_shares_and_cover_every_host_once() -> None:
    hosts = fleet(40)
    plan = build_plan(plan_id="P", advisory=advisory(), hosts=hosts, policy=RolloutPolicy(), now=T0)
    sizes = [len(p.hosts) for p in plan.canary_phases]
    assert sum(sizes) == 40 and sorted(h.host for h in plan.affected_hosts) == sorted(h.name for h in hosts)
    assert sizes == [4, 16, 20]  # canary already covers 10 %, then to 50 %, then the rest
    assert [p.bake_seconds for p in plan.canary_phases] == [1800.0, 900.0, 900.0]
    assert all(h.rollback_to == "1.0.1" for h in plan.affected_hosts)
    assert plan.systems == 40 and 0 < plan.priority <= 1 and 0 < plan.risk_score <= 1


def test_no_wave_holds_every_replica_of_a_service() -> None:
    # two-host services everywhere: any cut that put both replicas in one wave would take the service down
    hosts = [host(f"{svc}-{i}", service=svc, role="db", site=f"s{i}", crit="critical")
             for svc in ("acme-db", "globex-db", "initech-db") for i in (1, 2)]  # fmt: skip
    hosts.append(host("solo", service="acme-dns", role="dns"))
    for policy in (RolloutPolicy(), RolloutPolicy(canary_fraction=1.0, waves=(1.0,)), RolloutPolicy(waves=(1.0,))):
        plan = build_plan(plan_id="P", advisory=advisory(), hosts=hosts, policy=policy, now=T0)
        waves = {h.host: h.wave for h in plan.affected_hosts}
        for svc in ("acme-db", "globex-db", "initech-db"):
            assert waves[f"{svc}-1"] != waves[f"{svc}-2"], (policy, waves)
    # a service with an unaffected replica may be patched in one go: the other replica keeps serving
    partial = [host("a-1", service="svc"), host("a-2", service="svc", version="1.0.2")]
    plan = build_plan(plan_id="P", advisory=advisory(), hosts=partial, policy=RolloutPolicy(), now=T0)
    assert Counter(h.wave for h in plan.affected_hosts) == {0: 1}


def test_the_canary_leaves_an_unpatched_peer_of_each_role() -> None:
    # one backup host per tenant, each its own (role, site) group: the canary may not take them all
    hosts = [host(f"b{i}", role="backup", service=f"t{i}-backup", site=f"t{i}-s", crit="low") for i in range(4)]
    hosts += [host(f"w{i:02d}", role="web", service="acme-web", site="s0") for i in range(36)]
    plan = build_plan(plan_id="P", advisory=advisory(), hosts=hosts, policy=RolloutPolicy(), now=T0)
    canary = plan.canary_phases[0].hosts
    assert sorted(canary) == ["b0", "b1", "b2", "w00"]  # b3 stays unpatched: the backups' peer


def test_priority_rises_with_score_exposure_and_criticality() -> None:
    low = build_plan(plan_id="P", advisory=advisory(cvss=4.0), hosts=fleet(10), policy=RolloutPolicy(), now=T0)
    high = build_plan(plan_id="P", advisory=advisory(cvss=9.8), hosts=fleet(10), policy=RolloutPolicy(), now=T0)
    assert high.priority > low.priority
    quiet = [host(f"b{i}", role="backup", service="acme-backup", crit="low") for i in range(4)]
    exposed = [host(f"w{i}", role="web", crit="critical") for i in range(4)]
    assert (
        build_plan(plan_id="P", advisory=advisory(), hosts=exposed, policy=RolloutPolicy(), now=T0).priority
        > build_plan(plan_id="P", advisory=advisory(), hosts=quiet, policy=RolloutPolicy(), now=T0).priority
    )

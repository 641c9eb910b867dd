"""The canary judge on synthetic series: clear regressions fail, equal behaviour passes, thin or split
evidence is inconclusive, and anomaly flags can hold back a pass."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from agents.patch_ops import RolloutPolicy, Subject, judge
from data.models import Verdict

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
INSTALL = T0 + timedelta(minutes=60)
END = INSTALL + timedelta(minutes=30)
POLICY = RolloutPolicy(metrics=("error_rate",))


class Series:
    """One sample a minute for two hours; ``after`` replaces a host's level from the install on."""

    def __init__(self, levels: dict[str, float], after: dict[str, float] | None = None, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.times = np.array([(T0 + timedelta(minutes=i)).timestamp() for i in range(120)])
        self.data: dict[str, np.ndarray] = {}
        for host, level in levels.items():
            values = level * (1 + 0.2 * rng.standard_normal(120))
            if after and host in after:
                later = self.times >= INSTALL.timestamp()
                values[later] = after[host] * (1 + 0.2 * rng.standard_normal(int(later.sum())))
            self.data[host] = values

    def arrays(self, host: str, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
        return (self.times.copy(), self.data[host].copy()) if host in self.data else None


def run(source: Series, hosts: Sequence[str], peers: tuple[str, ...], **kw: object) -> object:
    subjects = [Subject(h, INSTALL, peers) for h in hosts]
    return judge(wave=0, subjects=subjects, start=INSTALL, end=END, source=source, policy=POLICY, **kw)  # type: ignore[arg-type]


PEERS = ("p1", "p2", "p3")


def test_a_clear_regression_fails_with_its_figures() -> None:
    source = Series({"c1": 0.3, "c2": 0.3, **dict.fromkeys(PEERS, 0.3)}, after={"c2": 15.0})
    check = run(source, ["c1", "c2"], PEERS)
    assert check.verdict is Verdict.FAIL  # type: ignore[attr-defined]
    bad = next(c for c in check.comparisons if c.host == "c2")  # type: ignore[attr-defined]
    assert bad.verdict is Verdict.FAIL and bad.n_patched == 30 and bad.n_peers == 90 and bad.n_baseline == 30
    assert bad.patched_median > 10 and bad.peers_median < 1 and bad.p_peers < 1e-6 and bad.p_baseline < 1e-6
    good = next(c for c in check.comparisons if c.host == "c1")  # type: ignore[attr-defined]
    assert good.verdict is Verdict.PASS
    assert "c2 error_rate" in check.reason  # type: ignore[attr-defined]
    assert check.chart and check.chart[0]["patched"] is not None  # type: ignore[attr-defined]


def test_the_same_behaviour_passes() -> None:
    for seed in range(5):
        source = Series({"c1": 0.3, "c2": 0.4, **dict.fromkeys(PEERS, 0.35)}, seed=seed)
        assert run(source, ["c1", "c2"], PEERS).verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_a_small_shift_is_not_a_failure() -> None:
    # significant with 30 samples, but 20 % above: under the effect size a rollback needs
    source = Series({"c1": 0.3, **dict.fromkeys(PEERS, 0.3)}, after={"c1": 0.36})
    assert run(source, ["c1"], PEERS).verdict is not Verdict.FAIL  # type: ignore[attr-defined]


def test_a_regression_that_starts_late_in_the_bake_is_not_the_patch() -> None:
    source = Series({"c1": 0.3, **dict.fromkeys(PEERS, 0.3)})
    source.data["c1"][source.times >= (INSTALL + timedelta(minutes=10)).timestamp()] = 9.0  # a fault, 10 min on
    check = run(source, ["c1"], PEERS)
    assert check.verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]


def test_worse_than_peers_but_not_its_own_past_is_inconclusive() -> None:
    # the host was already this high before its install: the patch did not do it
    source = Series({"c1": 5.0, **dict.fromkeys(PEERS, 0.3)})
    check = run(source, ["c1"], PEERS)
    assert check.verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]


def test_too_few_samples_is_inconclusive_and_no_comparator_too() -> None:
    source = Series({"c1": 0.3, **dict.fromkeys(PEERS, 0.3)})
    late = END - timedelta(minutes=3)
    short = judge(wave=0, subjects=[Subject("c1", late, PEERS)], start=late, end=END, source=source, policy=POLICY)
    assert short.verdict is Verdict.INCONCLUSIVE
    assert run(source, [], PEERS).verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]
    # no peers left unpatched: its own past alone cannot tell the patch from the time, so a person decides
    alone = Series({"c1": 0.3}, after={"c1": 15.0})
    assert run(alone, ["c1"], ()).verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]


def test_anomaly_flags_on_the_patched_hosts_hold_back_a_pass() -> None:
    source = Series({"c1": 0.3, **dict.fromkeys(PEERS, 0.3)})

    def flags(hosts: Sequence[str], metrics: Sequence[str], start: datetime, end: datetime) -> int:
        return 3 * sum(1 for h in hosts if h == "c1")

    check = run(source, ["c1"], PEERS, anomalies=flags)
    assert check.verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]
    assert check.anomaly_flags_patched == 3 and check.anomaly_flags_peers == 0  # type: ignore[attr-defined]
    calm = run(source, ["c1"], PEERS, anomalies=lambda *args: 0)
    assert calm.verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_a_regression_already_under_way_before_the_install_is_not_the_patch() -> None:
    source = Series({"c1": 0.3, **dict.fromkeys(PEERS, 0.3)})
    source.data["c1"][source.times >= (INSTALL - timedelta(minutes=8)).timestamp()] = 9.0  # a fault, 8 min before
    check = run(source, ["c1"], PEERS)
    assert check.verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]

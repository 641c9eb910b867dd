"""The canary judge: are the hosts just patched worse than their unpatched peers and their own past?

For each patched host and metric (higher is worse: error rate, latency, CPU, memory) the samples of
the bake window are compared with a one-sided Mann-Whitney U test against (a) the pooled samples of
unpatched hosts of the same role over the same window and (b) the host's own samples before its
install. A comparison needs ``min_samples`` on both sides. The level is Bonferroni-corrected over every
comparison of the check, and a significant result must also be a real shift (the patched median at
least ``min_relative_increase`` above the comparator's), as Kayenta-style judges require an effect size.

Per (host, metric), the peers are the control (same window, same conditions), the host's own past guards
against a difference it already had: worse than both -> fail; worse than the peers only -> inconclusive
(it was already worse before its install); worse than its own past only -> pass (its peers moved too:
the time did it, not the patch); with the peers alone, they decide; with its own past alone, worse is
inconclusive (the past cannot tell the patch from the time: a person decides); with neither -> inconclusive.
A failure must also start with the install: the first samples after it already shifted, the last ones
before it not (a change the patch made starts when it went in; one already under way before it, or one
that begins later in the bake, is something else, so it is inconclusive). The check fails if
any host metric fails, else is inconclusive if any is, else passes. PredictiveOps'
anomaly flags are extra evidence: a pass becomes inconclusive when the patched hosts carry at least one
flag each on average and more than twice the peers' rate per host.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.stats import mannwhitneyu

from agents.patch_ops.policy import RolloutPolicy
from data.models import HealthCheck, MetricComparison, Verdict

Array = NDArray[np.float64]
CHART_METRIC = "error_rate"
CHART_POINTS = 60
MIN_BASELINE = timedelta(minutes=30)


class MetricSource(Protocol):
    def arrays(self, host: str, metric: str) -> tuple[Array, Array] | None:
        """Return (epoch seconds, values) of a series in time order, or None when it is unknown."""


# (hosts, metrics, start, end) -> how many anomaly flags were raised on those series in [start, end)
AnomalyCount = Callable[[Sequence[str], Sequence[str], datetime, datetime], int]


@dataclass(frozen=True)
class Subject:
    """A patched host to judge, when its patch went in, and its unpatched peers (same role)."""

    host: str
    installed_at: datetime
    peers: tuple[str, ...] = ()


def _window(source: MetricSource, host: str, metric: str, start: float, end: float) -> Array:
    series = source.arrays(host, metric)
    if series is None:
        return np.empty(0)
    times, values = series
    mask = (times >= start) & (times < end) & np.isfinite(values)
    return values[mask]


def _worse(patched: Array, other: Array, alpha: float, policy: RolloutPolicy) -> tuple[bool | None, float | None]:
    """Return (is patched worse, p-value), or (None, None) when ``other`` has too few samples."""
    if len(other) < policy.min_samples:
        return None, None
    if np.ptp(np.concatenate([patched, other])) == 0:
        return False, 1.0
    p = float(mannwhitneyu(patched, other, alternative="greater").pvalue)
    shift = float(np.median(patched)) > float(np.median(other)) * (1 + policy.min_relative_increase) + 1e-9
    return bool(p < alpha and shift), p


def _shifted(values: Array, reference: Array, policy: RolloutPolicy) -> bool:
    return float(np.median(values)) > float(np.median(reference)) * (1 + policy.min_relative_increase) + 1e-9


def _starts_at_install(patched: Array, baseline: Array, policy: RolloutPolicy) -> bool:
    """Return True when the shift begins with the install: the first samples after it are already shifted
    above the baseline, and the last samples before it were not (a fault already under way is not the patch)."""
    early = patched[: max(policy.min_samples, len(patched) // 3)]
    tail = max(3, policy.min_samples // 2)
    before, reference = baseline[-tail:], baseline[:-tail]
    already = len(reference) >= policy.min_samples and _shifted(before, reference, policy)
    return _shifted(early, baseline, policy) and not already


def _median(values: Array) -> float | None:
    return round(float(np.median(values)), 4) if len(values) else None


def judge(
    *,
    wave: int,
    subjects: Sequence[Subject],
    start: datetime,
    end: datetime,
    source: MetricSource,
    policy: RolloutPolicy,
    anomalies: AnomalyCount | None = None,
) -> HealthCheck:
    """Return the health check of one phase: ``subjects`` judged over ``[start, end)`` (see the module doc)."""
    t0, t1 = start.timestamp(), end.timestamp()
    span = max(t1 - t0, MIN_BASELINE.total_seconds())
    alpha = policy.alpha / max(1, 2 * len(subjects) * len(policy.metrics))
    comparisons: list[MetricComparison] = []
    peers = sorted({peer for subject in subjects for peer in subject.peers})
    for metric in policy.metrics:
        pooled: dict[tuple[tuple[str, ...], float], Array] = {}
        for subject in subjects:
            installed = subject.installed_at.timestamp()
            since = installed  # from its own install: what it did since the patch went in
            key = (subject.peers, since)
            if key not in pooled:
                parts = [_window(source, peer, metric, since, t1) for peer in subject.peers]
                pooled[key] = np.concatenate(parts) if parts else np.empty(0)
            peer_values = pooled[key]
            patched = _window(source, subject.host, metric, since, t1)
            baseline = _window(source, subject.host, metric, installed - span, installed)
            verdict = Verdict.INCONCLUSIVE
            p_peers = p_base = None
            if len(patched) >= policy.min_samples:
                worse_peers, p_peers = _worse(patched, peer_values, alpha, policy)
                worse_base, p_base = _worse(patched, baseline, alpha, policy)
                verdict = _combine(worse_peers, worse_base)
                if verdict is Verdict.FAIL and len(baseline) and not _starts_at_install(patched, baseline, policy):
                    verdict = Verdict.INCONCLUSIVE  # it got worse before the install or later in the bake
            comparisons.append(
                MetricComparison(
                    host=subject.host,
                    metric=metric,
                    n_patched=len(patched),
                    n_peers=len(peer_values),
                    n_baseline=len(baseline),
                    patched_median=_median(patched),
                    peers_median=_median(peer_values),
                    baseline_median=_median(baseline),
                    p_peers=None if p_peers is None else float(f"{p_peers:.3g}"),
                    p_baseline=None if p_base is None else float(f"{p_base:.3g}"),
                    verdict=verdict,
                )
            )
    verdict, reason = _overall(comparisons, subjects)
    flags_patched = flags_peers = None
    if anomalies is not None and subjects:
        hosts = [s.host for s in subjects]
        flags_patched = anomalies(hosts, policy.metrics, start, end)
        flags_peers = anomalies(peers, policy.metrics, start, end) if peers else 0
        patched_rate = flags_patched / len(hosts)
        peers_rate = flags_peers / len(peers) if peers else 0.0
        if verdict is Verdict.PASS and patched_rate >= 1 and patched_rate > 2 * peers_rate:
            verdict = Verdict.INCONCLUSIVE
            reason = f"tests pass but anomaly flags: {patched_rate:.1f} per patched host, {peers_rate:.1f} per peer"
    return HealthCheck(
        wave=wave,
        at=end,
        window_start=start,
        window_end=end,
        verdict=verdict,
        reason=reason,
        hosts=[s.host for s in subjects],
        comparisons=comparisons,
        anomaly_flags_patched=flags_patched,
        anomaly_flags_peers=flags_peers,
        chart=_chart(source, [s.host for s in subjects], peers, t0, t1),
    )


def _combine(worse_peers: bool | None, worse_base: bool | None) -> Verdict:
    if worse_peers is None and worse_base is None:
        return Verdict.INCONCLUSIVE
    if worse_base is None:
        return Verdict.FAIL if worse_peers else Verdict.PASS
    if worse_peers is None:  # its own past alone cannot tell the patch from the time (a fault elsewhere)
        return Verdict.INCONCLUSIVE if worse_base else Verdict.PASS
    if worse_peers:
        return Verdict.FAIL if worse_base else Verdict.INCONCLUSIVE
    return Verdict.PASS  # worse than its past only: the peers moved too, so the time did it, not the patch


def _overall(comparisons: Sequence[MetricComparison], subjects: Sequence[Subject]) -> tuple[Verdict, str]:
    if not subjects:
        return Verdict.INCONCLUSIVE, "no host of this phase was patched"
    failed = [c for c in comparisons if c.verdict is Verdict.FAIL]
    if failed:
        worst = ", ".join(sorted({f"{c.host} {c.metric}" for c in failed}))
        return Verdict.FAIL, f"worse than unpatched peers and own baseline: {worst}"
    unsure = [c for c in comparisons if c.verdict is Verdict.INCONCLUSIVE]
    if unsure:
        which = ", ".join(sorted({f"{c.host} {c.metric}" for c in unsure})[:6])
        return Verdict.INCONCLUSIVE, f"evidence split or too few samples: {which}"
    return Verdict.PASS, f"{len(subjects)} patched hosts no worse than peers and own baseline"


def _chart(
    source: MetricSource, hosts: Sequence[str], peers: Sequence[str], t0: float, t1: float
) -> list[dict[str, float | None]]:
    buckets: dict[float, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for group, names in ((0, hosts), (1, peers)):
        for name in names:
            series = source.arrays(name, CHART_METRIC)
            if series is None:
                continue
            times, values = series
            for t, v in zip(times.tolist(), values.tolist(), strict=True):
                if t0 <= t < t1:
                    buckets[t][group].append(v)
    points = []
    for t in sorted(buckets)[-CHART_POINTS:]:
        patched, peer = buckets[t]
        points.append(
            {
                "t": t,
                "patched": round(float(np.median(patched)), 4) if patched else None,
                "peers": round(float(np.median(peer)), 4) if peer else None,
            }
        )
    return points

"""Time tolerances of correlation learned per tenant from the stream itself.

* `HopDelays`: how long a fault takes to travel one call hop, from the links correlation made along calls,
  corrected for the slow links it never made (a truncated sample).
* `HostSpread`: how far apart the distinct alerts on one host come while they are one fault, from the gaps
  between consecutive onsets on each host (no correlation needed), against a background of unrelated alerts.

Both start from the configured tolerance and move only on evidence, so a tenant with little traffic keeps it.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime


class HopDelays:
    """Per tenant, how long a fault takes to travel one call hop, learned from the links correlation made.

    Links are only made while the time evidence is strong enough, so the per-hop gaps of the links made are
    a sample truncated at each link's cutoff (the longest gap at which it would still have passed the
    threshold): their plain mean underestimates the real delay, the more so the slower the tenant (by half
    once delays are as long as the tolerance). The mean delay is estimated for an exponential truncated at
    the mean cutoff, solving ``observed mean = mu - T / (exp(T / mu) - 1)``. The tolerated delay per hop is
    `FACTOR` times that estimate clamped to [``floor_s``, ``cap_s``], and ``base_s`` until the tenant made a
    link along calls: fast tenants keep the configured tolerance, slow ones get a longer one.
    """

    WEIGHT = 0.05  # exponential moving average over about the last 20 links along calls
    # Tolerance per estimated mean delay, chosen on the tuning storms (1.25 to 2.5 tried: F1 within half a point,
    # 1.5 kept the simulator's root-cause hit rate); an exponential delay is below 1.5 means 78 % of the time.
    FACTOR = 1.5

    def __init__(self, base_s: float, floor_s: float, cap_s: float) -> None:
        self.base_s = base_s
        self.floor_s = floor_s
        self.cap_s = cap_s
        self._moments: dict[str, tuple[float, float]] = {}  # tenant -> (mean gap, mean cutoff)
        self._scale: dict[str, float] = {}

    def scale(self, tenant: str) -> float:
        return self._scale.get(tenant, self.base_s)

    def learn(self, tenant: str, gap_s: float, cutoff_s: float) -> None:
        """Learn one link's gap, made by a link that would have passed up to ``cutoff_s``."""
        cutoff_s = min(cutoff_s, 2 * self.cap_s)  # a cutoff far past the cap says nothing more
        moments = self._moments.get(tenant)
        if moments is None:
            mean, cutoff = gap_s, cutoff_s
        else:
            mean = moments[0] + self.WEIGHT * (gap_s - moments[0])
            cutoff = moments[1] + self.WEIGHT * (cutoff_s - moments[1])
        self._moments[tenant] = (mean, cutoff)
        self._scale[tenant] = min(max(self.floor_s, self.FACTOR * self._untruncated(mean, cutoff)), self.cap_s)

    def _untruncated(self, mean: float, cutoff: float) -> float:
        """Return the mean of the exponential whose part below ``cutoff`` has mean ``mean`` (bisection, bounded by
        the cap: past it the tolerance is clamped anyway)."""
        hi = self.cap_s / self.FACTOR
        if mean <= 0 or _truncated_mean(hi, cutoff) <= mean:
            return hi if mean > 0 else 0.0
        lo = min(mean, hi)
        for _ in range(20):  # the cap over 2**20: well under a second
            mid = (lo + hi) / 2
            if _truncated_mean(mid, cutoff) < mean:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2


def _truncated_mean(mu: float, cutoff: float) -> float:
    """Return the mean of an exponential of mean ``mu`` conditioned on being below ``cutoff``."""
    if math.isinf(cutoff):
        return mu
    ratio = cutoff / mu
    if ratio > 50:
        return mu
    return mu - cutoff / math.expm1(ratio)


class HostSpread:
    """Per tenant, how far apart the distinct alerts on one host come while they are one fault, estimated
    without correlation: the gaps between consecutive distinct onsets on each host are a mixture of short
    same-fault gaps and a background of unrelated alerts arriving at random (exponential gaps, its rate
    fitted on the gaps longer than `TAIL_S`). The tolerance is the longest of `EDGES` up to which every
    band of gaps holds more same-fault gaps than expected background ones; the time scale is half of it
    (a same-host link passes up to about two scales). ``base_s`` until `MIN_TAIL` background gaps were seen.
    """

    EDGES = (60.0, 120.0, 300.0, 600.0)
    TAIL_S = 900.0
    MIN_TAIL = 20
    MAX_HOSTS = 100_000  # hosts whose last onset is remembered; past it the least recently alerting half is dropped

    def __init__(self, base_s: float, floor_s: float) -> None:
        self.base_s = base_s
        self.floor_s = floor_s
        self._last: dict[tuple[str, str], datetime] = {}
        self._bands: dict[str, list[int]] = {}  # tenant -> counts of gaps per band of EDGES (and up to TAIL_S)
        self._tail: dict[str, tuple[int, float]] = {}  # tenant -> (gaps past TAIL_S, their summed excess)
        self._scale: dict[str, float] = {}

    def scale(self, tenant: str) -> float:
        return self._scale.get(tenant, self.base_s)

    def observe(self, tenant: str, host: str, at: datetime) -> None:
        """Record a distinct alert's onset on ``host``."""
        key = (tenant, host)
        last = self._last.get(key)
        self._last[key] = at if last is None else max(last, at)
        if last is None:
            if len(self._last) > self.MAX_HOSTS:
                keep = sorted(self._last.items(), key=lambda item: item[1])[len(self._last) // 2 :]
                self._last = dict(keep)
            return
        gap = abs((at - last).total_seconds())
        if gap >= self.TAIL_S:
            n, excess = self._tail.get(tenant, (0, 0.0))
            self._tail[tenant] = (n + 1, excess + gap - self.TAIL_S)
        else:
            bands = self._bands.setdefault(tenant, [0] * (len(self.EDGES) + 1))
            bands[bisect.bisect_right(self.EDGES, gap)] += 1
        self._scale[tenant] = self._estimate(tenant)

    def _estimate(self, tenant: str) -> float:
        n_tail, excess = self._tail.get(tenant, (0, 0.0))
        bands = self._bands.get(tenant)
        if n_tail < self.MIN_TAIL or bands is None or excess <= 0:
            return self.base_s
        rate = n_tail / excess
        background = n_tail * math.exp(min(rate * self.TAIL_S, 50.0))  # all background gaps, from the tail
        tolerance = 0.0
        low = 0.0
        for edge, observed in zip(self.EDGES, bands, strict=False):
            expected = background * (math.exp(-rate * low) - math.exp(-rate * edge))
            if observed <= 2 * expected:  # no more than half of these gaps are one fault
                break
            tolerance, low = edge, edge
        return max(self.floor_s, tolerance / 2)

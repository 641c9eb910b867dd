"""Time tolerances of correlation learned per tenant from the stream itself.

* `HopDelays`: how long a fault takes to travel one call hop, from the nearest onset along calls of each
  distinct alert, joined or not (a mixture of delays and unrelated neighbours).
* `HostSpread`: how far apart the distinct alerts on one host come while they are one fault, from the gaps
  between consecutive onsets on each host (no correlation needed), against a background of unrelated alerts.

Both start from the configured tolerance and move only on evidence, so a tenant with little traffic keeps it.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime
from typing import Any


class HopDelays:
    """Per tenant, how long a fault takes to travel one call hop, learned from the stream, not from the links made.

    Links are only made while the time evidence is strong enough, so the gaps of the links made are cut off at
    the tolerance in force: a tenant whose delays are longer never shows them, and its estimate stays where it
    started. Instead, every distinct alert gives one sample (`link_score.HopSample`): its shortest gap per
    hop to an onset along calls in any hot incident of its tenant that scoring looked at, joined or not. The
    samples are a mixture of the delay of the fault that reached the alert (exponential) and of unrelated
    neighbours (spread evenly over ``horizon_s``); the exponential's mean is fitted by online EM (moving averages
    of the sufficient statistics, over all samples so far and then over about the last 1 / `WEIGHT`), starting
    from `PRIOR` pseudo-samples at the configured tolerance. The tolerated delay per hop is `FACTOR` times that
    mean clamped to [``floor_s``, ``cap_s``]: fast tenants keep the configured tolerance, slow ones get a longer
    one.
    """

    WEIGHT = 0.02  # moving averages over about the last 50 samples once that many were seen
    PRIOR = 3  # pseudo-samples at the configured tolerance: a few alerts already move a tenant off it
    # Tolerance per fitted mean. The nearest onset along calls (a sibling branch of the same cascade, another
    # path) often comes sooner than the hop that carried the fault, so on the synthetic storms (known delays) the
    # fitted mean is 0.5 to 0.8 of the real one; a link passes up to about 1.2 time scales, so 5 fitted means let
    # it pass most exponential delays. Chosen on the tuning storms among 4, 5 and 6 (F1 plus root hit rate).
    FACTOR = 5.0

    def __init__(self, base_s: float, floor_s: float, cap_s: float, horizon_s: float) -> None:
        self.base_s = base_s
        self.floor_s = floor_s
        self.cap_s = cap_s
        self.horizon_s = horizon_s
        self._stats: dict[str, tuple[int, float, float]] = {}  # tenant -> (samples, share, share x mean)
        self._scale: dict[str, float] = {}

    def scale(self, tenant: str) -> float:
        return self._scale.get(tenant, self.base_s)

    def mean(self, tenant: str) -> float:
        """Return the fitted mean delay per hop of ``tenant`` in seconds (the prior's before any sample)."""
        _, share, moment = self._stats.get(tenant, self._prior())
        return moment / share

    def observe(self, tenant: str, gap_s: float) -> None:
        """Learn one distinct alert's shortest gap per hop to an onset along calls (in seconds)."""
        gap_s = min(max(gap_s, 0.0), self.horizon_s)
        n, share, moment = self._stats.get(tenant, self._prior())
        r = self._responsibility(share, moment / share, gap_s)
        n += 1
        weight = max(self.WEIGHT, 1.0 / n)
        share += weight * (r - share)
        moment += weight * (r * gap_s - moment)
        self._set(tenant, n, max(share, 1e-3), moment)

    def _set(self, tenant: str, n: int, share: float, moment: float) -> None:
        self._stats[tenant] = (n, share, moment)
        self._scale[tenant] = min(max(self.floor_s, self.FACTOR * moment / share), self.cap_s)

    def state(self) -> dict[str, list[float]]:
        """Return the fitted statistics per tenant in JSON form (`load` takes them back)."""
        return {tenant: [n, share, moment] for tenant, (n, share, moment) in self._stats.items()}

    def load(self, state: dict[str, list[float]]) -> None:
        """Take back a `state`, replacing what was learned (raises on a malformed one)."""
        self._stats, self._scale = {}, {}
        for tenant, (n, share, moment) in state.items():
            if not (share > 0 and moment >= 0):
                raise ValueError(f"hop delay statistics of {tenant} out of range")
            self._set(str(tenant), int(n), float(share), float(moment))

    def _prior(self) -> tuple[int, float, float]:
        return self.PRIOR, 0.5, 0.5 * self.base_s / self.FACTOR

    def _responsibility(self, share: float, mean: float, gap_s: float) -> float:
        """Return the probability that ``gap_s`` is a fault's delay rather than an unrelated neighbour's."""
        share = min(share, 0.99)
        mean = max(mean, 1.0)
        delay = share * math.exp(-gap_s / mean) / mean
        return delay / (delay + (1 - share) / self.horizon_s)


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

    def state(self) -> dict[str, Any]:
        """Return the gap counts per tenant in JSON form (`load` takes them back); the hosts' last onsets are not
        kept (a host's first alert after a restart starts its gaps afresh)."""
        return {
            "bands": {t: list(b) for t, b in self._bands.items()},
            "tail": {t: list(v) for t, v in self._tail.items()},
        }

    def load(self, state: dict[str, Any]) -> None:
        """Take back a `state`, replacing what was learned (raises on a malformed one)."""
        self._bands = {str(t): [int(n) for n in bands] for t, bands in state["bands"].items()}
        if any(len(bands) != len(self.EDGES) + 1 for bands in self._bands.values()):
            raise ValueError("host spread bands do not match EDGES")
        self._tail = {str(t): (int(n), float(excess)) for t, (n, excess) in state["tail"].items()}
        self._scale = {tenant: self._estimate(tenant) for tenant in self._bands.keys() | self._tail.keys()}

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

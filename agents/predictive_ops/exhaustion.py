"""Time-to-full of a resource that only fills between clean-ups (disk, inodes, a leaking heap, certificate days).

The trend is a least-squares line through the samples since the last clean-up, as Prometheus'
``predict_linear`` fits one through a fixed window; the differences are what operators trip over:

* a drop far outside the series' own noise (a clean-up, a rotation, a restart) ends the history the
  trend is fitted on, so a fill that restarts after a clean-up is not averaged with the one before it;
* the window is everything since that drop (up to the samples given), not a fixed range, so a slow
  noisy fill is fitted on as much of its past as belongs to it;
* the time-to-full comes with an interval from the slope's standard error, widened for autocorrelated
  residuals (a fill that wanders has fewer independent samples than it has samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

Z95 = 1.959963984540054
RESET_SIGMAS = 8.0  # a fall this many noise sds below the recent peak is a clean-up, not noise
RESET_LOOKBACK = 30  # samples a clean-up may take to complete
MIN_SEGMENT = 10  # samples since a clean-up needed before a trend is fitted
MAX_AUTOCORRELATION = 0.99
KINK_CANDIDATES = 96  # bends tried per fit (evenly spaced)
KINK_RESOLUTION = 240  # points the bend is looked for on (block means of a longer series)
MAX_KINKS = 3  # changes of rate looked for, most significant first


@dataclass(frozen=True)
class Exhaustion:
    """A fitted fill: ``slope`` per second, ``level`` (the line's value at the newest sample), and the seconds
    from the newest sample until the line reaches the limit: ``eta_s`` (None when the fill is not rising) and
    the 95 % interval ``[eta_low_s, eta_high_s]`` for the series itself reaching it (``eta_high_s`` None when the
    slope's interval includes 0)."""

    slope: float
    slope_se: float
    level: float
    start: int  # index of the first sample the trend was fitted on (after the last clean-up)
    eta_s: float | None
    eta_low_s: float | None
    eta_high_s: float | None

    def probability_by(self, limit: float, seconds: float) -> float:
        """Return P(the line reaches ``limit`` within ``seconds``), from the slope's sampling distribution."""
        if self.level >= limit:
            return 1.0
        needed = (limit - self.level) / seconds  # slope that reaches the limit exactly at ``seconds``
        if self.slope_se <= 0:
            return 1.0 if self.slope >= needed else 0.0
        return 0.5 * math.erfc((needed - self.slope) / (self.slope_se * math.sqrt(2.0)))


def noise_sd(values: Array, lag: int = 1) -> float:
    """Return a robust sd of how far the series wanders in ``lag`` samples beyond its trend (the MAD of its
    centred ``lag``-differences, scaled to a level sd); 0 for a flat or perfectly steady series.

    With ``lag`` 1 this is the level noise of white noise around a trend; a longer lag also measures how
    far an autocorrelated (wandering) series moves over that many samples without any clean-up.
    """
    if len(values) <= lag:
        return 0.0
    diffs = values[lag:] - values[:-lag]
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return 1.4826 * mad / math.sqrt(2.0)


def last_reset(values: Array, *, sigmas: float = RESET_SIGMAS, lookback: int = RESET_LOOKBACK) -> int:
    """Return the index the current fill starts at: the lowest sample after the last clean-up (0 without one).

    A clean-up is a sample more than ``sigmas`` noise sds under the highest of the ``lookback`` samples before
    it; how fast it happens (one sample or ``lookback``) does not matter.
    """
    n = len(values)
    if n < 3:
        return 0
    # The scale is how far the series wanders over the look-back on its own, so a random walk's excursions
    # are not clean-ups while a white-noise fill's scale stays its sample noise.
    sigma = max(noise_sd(values), noise_sd(values, lookback))
    # A series that moves in steps (a staircase of batch writes) has a zero MAD; its typical step is the scale.
    if sigma == 0:
        moves = np.abs(np.diff(values))
        sigma = float(np.median(moves[moves > 0])) if np.any(moves > 0) else 0.0
    floor = sigmas * sigma if sigma > 0 else 0.0
    windows = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.full(lookback, -np.inf), values]), lookback)
    recent_peak = windows[:n]  # recent_peak[i] = the lookback samples before i
    drop = recent_peak.max(axis=1) - values
    fallen = np.flatnonzero(drop > max(floor, 1e-12))
    if len(fallen) == 0:
        return 0
    last = int(fallen[-1])
    first = max(0, last - lookback)
    return first + int(np.argmin(values[first : last + 1]))


@dataclass(frozen=True)
class _Line:
    slope: float
    level: float  # at the newest sample
    sigma: float  # residual sd
    r: float  # residual lag-1 autocorrelation, clipped to [0, MAX_AUTOCORRELATION]
    se: float  # slope standard error, widened for r
    rss: float


def _line(t: Array, y: Array) -> _Line | None:
    t_mean = float(t.mean())
    dt = t - t_mean
    sxx = float(dt @ dt)
    if sxx <= 0:
        return None
    slope = float(dt @ (y - y.mean())) / sxx
    residual = y - (float(y.mean()) + slope * dt)
    rss = float(residual @ residual)
    sigma = math.sqrt(rss / (len(t) - 2)) if len(t) > 2 else 0.0
    r = min(max(float(residual[1:] @ residual[:-1]) / rss, 0.0), MAX_AUTOCORRELATION) if rss > 0 else 0.0
    se = sigma / math.sqrt(sxx) * math.sqrt((1 + r) / (1 - r))
    return _Line(slope, float(y.mean()) + slope * (float(t[-1]) - t_mean), sigma, r, se, rss)


def _block_means(t: Array, y: Array, most: int) -> tuple[Array, Array, int]:
    """Return (times, values) averaged over blocks of k consecutive samples ending at the newest, and k, so
    that at most ``most`` blocks remain (k = 1 when the series is short enough)."""
    k = max(1, math.ceil(len(t) / most))
    usable = len(t) - len(t) % k
    offset = len(t) - usable
    return t[offset:].reshape(-1, k).mean(axis=1), y[offset:].reshape(-1, k).mean(axis=1), k


def last_kink(
    t: Array, y: Array, *, candidates: int = KINK_CANDIDATES, resolution: int = KINK_RESOLUTION
) -> int | None:
    """Return the index at which the fill's rate last changed, or None when one straight line is as good.

    Each candidate bend joins two lines at that sample (a hinge regression, on block means of at most
    ``resolution`` points); the best bend is kept when it lowers the BIC, counted over the effective
    number of independent points n (1 - r) / (1 + r), so that autocorrelated noise does not pass for a
    change of rate.
    """
    tb, yb, k = _block_means(t, y, resolution)
    n = len(tb)
    line = _line(tb, yb)
    if n < 3 * MIN_SEGMENT or line is None or line.rss <= 0:
        return None
    at = np.unique(np.linspace(MIN_SEGMENT, n - MIN_SEGMENT, candidates).astype(np.int64))
    hinge = np.maximum(0.0, tb[:, None] - tb[at][None, :])  # (n, candidates)
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), tb - tb.mean()]))  # what one line explains
    y_r = yb - q @ (q.T @ yb)
    h_r = hinge - q @ (q.T @ hinge)
    hh = np.einsum("ij,ij->j", h_r, h_r)
    gain = np.where(hh > 0, (h_r.T @ y_r) ** 2 / np.where(hh > 0, hh, 1.0), 0.0)
    best = int(np.argmax(gain))
    rss = max(line.rss - float(gain[best]), 1e-300)
    n_eff = max(n * (1 - line.r) / (1 + line.r), 3.0)
    if n_eff * math.log(rss / line.rss) + 2 * math.log(n_eff) >= 0:
        return None
    return len(t) - (n - int(at[best])) * k


def fit_exhaustion(times: Array, values: Array, limit: float) -> Exhaustion | None:
    """Fit the fill since the last clean-up and its last change of rate, and project when it reaches ``limit``;
    None with too few samples.

    ``times`` are seconds (any origin), increasing. The interval treats the slope as normal with its OLS
    standard error inflated by sqrt((1 + r) / (1 - r)) for residual lag-1 autocorrelation r > 0.
    """
    start = last_reset(values)
    if len(values) - start < MIN_SEGMENT:
        return None
    line = _line(times[start:], values[start:])
    for _ in range(MAX_KINKS):
        if line is None:
            return None
        kink = last_kink(times[start:], values[start:])
        if kink is None:
            break
        start += kink
        line = _line(times[start:], values[start:])
    if line is None:
        return None
    slope, level, se, sigma = line.slope, line.level, line.se, line.sigma
    gap = limit - level
    if gap <= 0:
        return Exhaustion(slope, se, level, start, 0.0, 0.0, 0.0)

    def seconds(rate: float) -> float | None:
        return gap / rate if rate > 0 else None

    return Exhaustion(
        slope=slope,
        slope_se=se,
        level=level,
        start=start,
        eta_s=seconds(slope),
        # The series crosses when its noise first carries it over, which can be before the line gets there:
        # the early end allows for a residual-sized excursion, the late end for the slowest slope alone.
        eta_low_s=max(0.0, gap - Z95 * sigma) / (slope + Z95 * se) if slope + Z95 * se > 0 else None,
        eta_high_s=seconds(slope - Z95 * se),
    )


def predict_linear_eta(times: Array, values: Array, limit: float, window_s: float) -> float | None:
    """Return the seconds until ``limit`` as Prometheus' ``predict_linear`` over the last ``window_s`` would say
    (least squares through the window, extrapolated from the newest sample's time), or None when not rising."""
    inside = times >= times[-1] - window_s
    t, y = times[inside], values[inside]
    if len(t) < 2:
        return None
    dt = t - t[-1]
    slope, intercept = np.polyfit(dt, y, 1)
    if intercept >= limit:
        return 0.0
    return float((limit - intercept) / slope) if slope > 0 else None

"""Causal anomaly scores in [0, 1] for a metric series: spikes, level and distribution shifts, a cool-down.

Every score at t uses samples up to t only (no look-ahead), so scoring a prefix gives the prefix of
the scores. Four kinds of evidence, each calibrated against its own history so one parameter set
fits a calm series and a bursty one alike:

* shift: the mid-rank of each sample among the trailing ``window`` samples that end ``gap`` samples
  earlier, averaged over the last k samples (k in ``spans``). A level shift, a change in the rate of
  bursts or a drift moves that mean away from its usual value; its standardised distance from the
  mean and spread it had over the trailing ``history`` samples (the anomaly-likelihood idea) scores
  0.5 at ``sigmas`` when the shift is also larger, in the metric's units, than any of the history,
  and at ``sigmas_repeat`` when it is not. Ranks make it indifferent to the scale and tails.
* spike: two residuals, the distance from the trailing day's median and the one-step residual of
  a random-walk forecast. Each must be novel, larger in the metric's own units than every residual
  of the trailing ``history`` samples by ``record_margin``, and significant, ``spike_z`` robust
  (MAD) standard deviations out; the weaker of the two conditions sets the evidence, 1 scoring 0.5.
  Records in raw units mean a calm stretch cannot make an old event mask a later, larger one.
* level: the residual from a fast robust level, the median of the last ``level_span`` samples, with
  the same two conditions, but novel against what is routine rather than against every record: the
  largest residual of the last day and a half, or the second largest of the daily maxima over the
  history (a size reached on at least two days). So one past incident (a level shift, whose
  transient outgrows every later residual, or one large spike) does not mask a smaller spike a day
  later, which the other evidence cannot see while its records or reference still hold the old
  incident; an event that recurs daily stays routine.
* seasonal: the residual from the seasonal expectation, the median over the same phase (+-
  ``phase_slack`` samples) of the last ``seasons`` days (``period`` samples, from the timestamps with
  ``daily_period``; ``window`` when unknown), with the spike's two conditions. It sees what is normal
  at another time of day but not now (a daily peak that does not come, a plateau at the wrong hour),
  which the day's range hides. The median outvotes one odd day, so an incident is not echoed a day
  later; the evidence counts only where the cycle explains the series, its residuals spreading less
  than ``seasonal_fit`` times the values around the day's median.

The strongest evidence is the raw score s/(1+s). A cool-down then reports an episode once: a sample
keeps its score only when it beats ``repeat_factor`` times the last reported score, faded with a
``half_life``; other samples score 0. So one incident gives one report, a clearly stronger one a
second, and a day later the detector is as sensitive as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.ndimage import maximum_filter1d

Array = NDArray[np.float64]

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class DetectorParams:
    window: int = 288  # reference behaviour: one day of 5-minute samples (the daily cycle of ops metrics)
    gap: int = 36  # the rank reference ends this many samples back, so a recent shift is not in it
    spans: tuple[int, ...] = (6, 36)  # samples whose ranks are averaged: half an hour and three hours
    history: int = 2000  # calibration history of each evidence: about a week of 5-minute samples
    min_history: int = 48  # no score before this many samples
    sigmas: float = 3.0  # a shift larger than any in the history scores 0.5 at this many standard deviations
    sigmas_repeat: float = 4.0  # a shift no larger than earlier ones needs this many
    half_life: float = 144.0  # samples for a report to fade to half its weight in the cool-down
    repeat_factor: float = 1.2  # a repeat is reported only if this much stronger than the faded last report
    record_margin: float = 1.1  # a spike scores 0.5 when it beats the largest earlier residual by this factor
    spike_z: float = 5.0  # and is at least this many robust standard deviations out
    level_span: int = 6  # the fast level of the level evidence: the median of the last half hour
    seasons: int = 3  # the seasonal expectation: the median over the same phase of the last 3 days
    phase_slack: int = 2  # each of them +-2 samples, so a cycle that drifts by minutes still lines up
    period: int | None = None  # samples per day for the seasonal evidence (daily_period); None: window
    seasonal_fit: float = 0.5  # the cycle is used where its residuals spread less than this share of the values


def _trailing_windows(values: Array, window: int) -> NDArray[np.float64]:
    """Row t holds values[t-window+1 .. t], NaN-padded before the start of the series."""
    padded = np.concatenate([np.full(window - 1, np.nan), values])
    return sliding_window_view(padded, window)


def _lagged(series: Array, lag: int) -> Array:
    """series shifted ``lag`` samples later (NaN where nothing precedes)."""
    out = np.full(len(series), np.nan)
    if lag < len(series):
        out[lag:] = series[: len(series) - lag]
    return out


def _median_rows(rows: NDArray[np.float64]) -> Array:
    """Row medians ignoring NaN; the fast np.median serves the rows without any NaN."""
    out = np.full(len(rows), np.nan)
    gaps = np.isnan(rows).any(axis=1)
    if (~gaps).any():
        out[~gaps] = np.median(rows[~gaps], axis=1)
    usable = gaps & ~np.isnan(rows).all(axis=1)
    if usable.any():
        out[usable] = np.nanmedian(rows[usable], axis=1)
    return out


def _robust_level(values: Array, window: int, start: int = 0, stride: int = 1) -> tuple[Array, Array]:
    """Median and robust scale of values[t-window+1 .. t] for each t >= ``start`` (expanding at the
    beginning of the series); NaN before ``start``, where callers use neither. With a ``stride``,
    they are computed at t = start, start + stride, ... and held until the next of those t."""
    n = len(values)
    median, scale = np.full(n, np.nan), np.full(n, np.nan)
    if start >= n:
        return median, scale
    windows = _trailing_windows(values, window)[start::stride]
    level = _median_rows(windows)
    mad = _median_rows(np.abs(windows - level[:, None])) * MAD_TO_SIGMA
    std = np.full(len(windows), np.nan)
    whole = ~np.isnan(windows).any(axis=1)
    std[whole] = windows[whole].std(axis=1)
    partial = ~whole & np.isfinite(level)
    if partial.any():
        std[partial] = np.nanstd(windows[partial], axis=1)
    # A window that is mostly flat has MAD 0: fall back to a share of the standard deviation.
    held = np.arange(n - start) // stride
    median[start:], scale[start:] = level[held], np.maximum(mad, 0.25 * std)[held]
    return median, scale


def _mid_ranks(values: Array, window: int, gap: int, min_count: int) -> Array:
    """Mid-rank in [0, 1] of values[t] among values[t-gap-window+1 .. t-gap] (NaN when too few)."""
    n = len(values)
    ranks = np.full(n, np.nan)
    if n <= gap:
        return ranks
    reference = _trailing_windows(values, window)[: n - gap]
    current = values[gap:, None]
    valid = np.isfinite(reference)
    count = valid.sum(axis=1)
    below = (valid & (reference < current)).sum(axis=1)
    equal = (valid & (reference == current)).sum(axis=1)
    usable = (count >= min_count) & np.isfinite(values[gap:])
    ranks[gap:][usable] = (below[usable] + 0.5 * equal[usable]) / count[usable]
    return ranks


def _trailing_mean(values: Array, span: int) -> Array:
    """Mean of values[t-span+1 .. t]; NaN if any of them is NaN or t < span-1."""
    n = len(values)
    kernel = np.ones(span)
    total = np.convolve(np.nan_to_num(values), kernel, mode="full")[:n] / span
    missing = np.convolve(np.isnan(values).astype(np.float64), kernel, mode="full")[:n]
    total[(missing > 0.5) | (np.arange(n) < span - 1)] = np.nan
    return total


def _standardised(stat: Array, history: int, min_count: int, var_floor: float) -> Array:
    """|stat[t] - mean| / std, mean and std over the finite stat[t-history .. t-1]."""
    n = len(stat)
    finite = np.isfinite(stat)
    x = np.where(finite, stat, 0.0)
    c = np.r_[0.0, np.cumsum(finite)]
    s1 = np.r_[0.0, np.cumsum(x)]
    s2 = np.r_[0.0, np.cumsum(x * x)]
    hi = np.arange(n)
    lo = np.maximum(0, hi - history)
    count = c[hi] - c[lo]
    z = np.full(n, np.nan)
    ok = finite & (count >= min_count)
    mean = (s1[hi][ok] - s1[lo][ok]) / count[ok]
    var = (s2[hi][ok] - s2[lo][ok]) / count[ok] - mean * mean
    z[ok] = np.abs(stat[ok] - mean) / np.sqrt(np.maximum(var, var_floor))
    return z


def _shift_evidence(values: Array, p: DetectorParams) -> Array:
    ranks = _mid_ranks(values, p.window, p.gap, p.min_history)
    # Only t >= window is scored, so the reference medians from t - gap on are all that is needed.
    median, _ = _robust_level(values, p.window, start=max(0, p.window - p.gap))
    reference = _lagged(median, p.gap)  # the median of the same reference the ranks are taken in
    evidence = np.zeros(len(values))
    for span in p.spans:
        # var_floor: a tenth of the variance of a mean of `span` independent uniform ranks, so a
        # series that has been constant does not turn its first wobble into an infinite z.
        z = _standardised(_trailing_mean(ranks, span), p.history, p.min_history, 0.1 / (12.0 * span))
        z = np.nan_to_num(z, nan=0.0)
        # Novelty as for spikes: the size of the shift in the metric's own units against the largest
        # of the trailing history. A new kind of shift alarms at `sigmas`, a recurring one (a burst
        # like many before) only at `sigmas_repeat`.
        size = np.nan_to_num(np.abs(_trailing_mean(values, span) - reference), nan=0.0)
        size[: p.window] = 0.0
        novel = np.fmin(z / p.sigmas, _record_ratio(size, p.history))
        evidence = np.fmax(evidence, np.fmax(novel, z / p.sigmas_repeat))
    return evidence


def _trailing_max(z: Array, size: int) -> Array:
    """max(z[t-size+1 .. t]) for each t, counting only samples of the series."""
    size = max(1, min(size, len(z)))
    # maximum_filter1d with this origin covers z[t-size+1 .. t]; zero padding keeps later samples out.
    trailing: Array = maximum_filter1d(z, size=size, mode="constant", cval=0.0, origin=(size - 1) // 2)
    return trailing


def _record_ratio(z: Array, history: int) -> Array:
    """z[t] / max(z[t-history .. t-1]); 0 while that maximum is 0 (nothing seen yet)."""
    record = np.nan_to_num(_lagged(_trailing_max(z, history), 1), nan=0.0)
    return np.where(record > 0, z / np.maximum(record, 1e-12), 0.0)


def _routine_ratio(z: Array, history: int, day: int) -> Array:
    """z[t] / the routine size: the largest z of the last day and a half, or the second largest of
    the daily maxima of the trailing ``history`` (the largest while only one day has been seen);
    0 while that size is 0. z must be non-negative."""
    n = len(z)
    days = max(1, history // day)
    daily = _trailing_max(z, day)
    # maxima[t, k]: the maximum of z[t-(k+1)*day .. t-k*day-1], the k-th day before t.
    maxima = np.stack([np.nan_to_num(_lagged(daily, 1 + k * day), nan=0.0) for k in range(days)], axis=1)
    seen = np.minimum(days, 1 + np.maximum(np.arange(n) - 1, 0) // day)
    second = np.sort(maxima, axis=1)[np.arange(n), days - np.minimum(2, seen)]
    # A day and a half, so the last run of a daily event is in it even when its period drifts.
    recent = np.nan_to_num(_lagged(_trailing_max(z, day + day // 2), 1), nan=0.0)
    routine = np.fmax(second, recent)
    return np.where(routine > 0, z / np.maximum(routine, 1e-12), 0.0)


def _robust_z(residual: Array, reference: Array, floor: float, min_count: int) -> Array:
    """|residual| in robust units of the ``reference`` residuals' spread up to t-1 (0 where unknown)."""
    z = np.abs(residual) / np.maximum(_lagged(reference, 1), floor)
    z[:min_count] = np.nan
    return np.nan_to_num(z, nan=0.0)


def _spike_evidence(values: Array, p: DetectorParams) -> Array:
    finite = np.abs(values[np.isfinite(values)])
    floor = 1e-9 + 1e-6 * (float(finite.max()) if finite.size else 0.0)
    # Distance from the reference day's median: a value out of range.
    # Residuals count from t = window on (see below), so levels from window - 1 on are all that is needed.
    start = max(0, p.window - 1)
    median, spread = _robust_level(values, p.window, start)
    deviation = values - _lagged(median, 1)
    # One-step residual of a random-walk forecast: a jump, even inside the daily range of a seasonal series.
    jump = values - _lagged(values, 1)
    _, jump_spread = _robust_level(jump, p.window, start)
    evidence = np.zeros(len(values))
    for residual, scale in ((deviation, spread), (jump, jump_spread)):
        # Significance in robust units of the spread up to t-1, trusted after one reference window.
        z = _robust_z(residual, scale, floor, p.window)
        # Novelty: the residual against the largest earlier one, in the metric's own units, so a calm
        # stretch (small spread) does not inflate an old event into a record that masks later ones.
        size = np.nan_to_num(np.abs(residual), nan=0.0)
        size[: p.window] = 0.0
        # The margin keeps a steady ramp (equal residuals, ratio 1) and the routine records of plain
        # noise from being flagged; the z gate keeps records of a calm series, about one per
        # `history` samples, below 0.5.
        evidence = np.fmax(evidence, np.fmin(_record_ratio(size, p.history) / p.record_margin, z / p.spike_z))
    evidence[: p.window + p.min_history] = 0.0  # and a record needs some residuals to beat
    return evidence


def _level_evidence(values: Array, p: DetectorParams) -> Array:
    finite = np.abs(values[np.isfinite(values)])
    floor = 1e-9 + 1e-6 * (float(finite.max()) if finite.size else 0.0)
    # The fast level follows a shift within level_span samples, so its residual sees a small spike
    # soon after a shift that the day's median (still at the old level) and the records hide.
    fast, _ = _robust_level(values, p.level_span)
    residual = values - _lagged(fast, 1)
    # The spread of a day's residuals moves slowly: refreshing it every level_span samples costs a
    # sixth of a per-sample one.
    _, spread = _robust_level(residual, p.window, stride=p.level_span)  # expanding over the first day
    z = _robust_z(residual, spread, floor, p.min_history)
    size = np.nan_to_num(np.abs(residual), nan=0.0)
    size[: p.level_span] = 0.0
    evidence = np.fmin(_routine_ratio(size, p.history, p.window) / p.record_margin, z / p.spike_z)
    evidence[: p.level_span + p.min_history] = 0.0  # a routine size needs some residuals to be taken from
    return evidence


def _seasonal_evidence(values: Array, p: DetectorParams) -> Array:
    n, period, half = len(values), p.period or p.window, p.phase_slack
    start = p.seasons * period + half  # the first sample with every reference cycle behind it
    if n <= start or period <= half:  # (a cycle within the phase slack would reach past t)
        return np.zeros(n)
    finite = np.abs(values[np.isfinite(values)])
    floor = 1e-9 + 1e-6 * (float(finite.max()) if finite.size else 0.0)
    # The expectation is the median over the same phase, +-half samples, of the last `seasons`
    # cycles: an odd cycle (yesterday's spike or outage) is outvoted rather than echoed a cycle later,
    # as the residual from the last cycle alone would echo it.
    phases = [_lagged(values, k * period - j) for k in range(1, p.seasons + 1) for j in range(-half, half + 1)]
    reference = np.stack(phases, axis=1)
    residual = values - _median_rows(reference)
    residual[:start] = np.nan  # with fewer cycles a past incident is not outvoted and would echo
    # The spread of a cycle's residuals moves slowly: refreshed every level_span samples, as in _level_evidence.
    _, spread = _robust_level(residual, period, start, stride=p.level_span)
    z = _robust_z(residual, spread, floor, start)
    size = np.nan_to_num(np.abs(residual), nan=0.0)
    size[:start] = 0.0
    evidence = np.fmin(_record_ratio(size, p.history) / p.record_margin, z / p.spike_z)
    # Seasonality is used only where it explains the series: the residuals from the seasonal
    # expectation spread less than the values around the cycle's median (a series with no cycle at
    # this period, or a noisy one, leaves this evidence to the others).
    _, flat = _robust_level(values, period, start, stride=p.level_span)
    evidence[~(_lagged(spread, 1) < p.seasonal_fit * _lagged(flat, 1))] = 0.0
    evidence[: start + period] = 0.0  # a record needs a whole cycle of residuals, every phase, to beat
    return evidence


def _cool_down(raw: Array, half_life: float, repeat_factor: float) -> Array:
    """Keep raw[t] only where it beats repeat_factor x the last kept score, faded; 0 elsewhere."""
    out = np.zeros_like(raw)
    fade = 0.5 ** (1.0 / half_life)
    last, at = 0.0, 0
    for t in np.flatnonzero(raw > 0):
        if raw[t] > repeat_factor * last * fade ** (t - at):
            out[t] = raw[t]
            last, at = float(raw[t]), int(t)
    return out


def daily_period(seconds: Array) -> int | None:
    """Return the samples per day at the median interval of ``seconds`` (sample times, in order), the
    cycle for ``DetectorParams.period``; None when the series is too short, the times do not advance or
    a day holds fewer than four samples."""
    steps = np.diff(np.asarray(seconds, dtype=np.float64))
    steps = steps[np.isfinite(steps)]
    if not steps.size or (median := float(np.median(steps))) <= 0:
        return None
    period = round(86400.0 / median)
    return period if period >= 4 else None


def raw_scores(values: Array, params: DetectorParams | None = None) -> Array:
    """Return the causal evidence score in [0, 1) per sample, before the cool-down."""
    p = params or DetectorParams()
    y = np.asarray(values, dtype=np.float64).ravel()
    if len(y) <= p.min_history:
        return np.zeros(len(y))
    strength = _shift_evidence(y, p)
    for evidence in (_spike_evidence, _level_evidence, _seasonal_evidence):
        strength = np.fmax(strength, evidence(y, p))
    strength[: p.min_history] = 0.0
    return strength / (1.0 + strength)


def scores(values: Array, params: DetectorParams | None = None) -> Array:
    """Return one causal anomaly score in [0, 1) per sample of ``values``, 0 while in a cool-down.

    A score of at least 0.5 means the evidence reached its alarm level (``sigmas`` for a shift; for a
    spike the record, for the level evidence the routine size, beaten by ``record_margin`` and
    ``spike_z`` robust standard deviations). NaN samples and the first ``min_history`` samples score 0."""
    p = params or DetectorParams()
    return _cool_down(raw_scores(values, p), p.half_life, p.repeat_factor)

"""Causal anomaly scores in [0, 1] for a metric series: spikes, level shifts, and a cool-down.

Every score at t uses samples up to t only (no look-ahead). Two evidences, each a robust z-score
against the trailing ``window`` samples that precede the ones being judged:

* spike: how far the newest sample lies from the trailing median, in robust (MAD) units;
* shift: how far the mean of the last ``short`` samples lies from the trailing median, in units
  of the standard error of such a mean, so a sustained small change is seen as well as a jump.

The larger z becomes the score z / (z + half). After an event of at least ``alert_z`` the series is
quiet for ``cooldown`` samples unless a clearly stronger event follows, so one incident is reported
once rather than a hundred times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[np.float64]

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class DetectorParams:
    window: int = 576  # two days of 5-minute samples: the reference behaviour (capped at a quarter of the series)
    short: int = 6  # samples averaged for the level-shift evidence
    min_history: int = 48  # no score before this many samples
    half: float = 6.0  # z that scores 0.5
    alert_z: float = 5.0  # an event this strong starts a cool-down
    cooldown: int = 576  # quiet for as long as the reference window after an event


def _robust_reference(values: Array, window: int, lag: int) -> tuple[Array, Array]:
    """Return, for each t, the median and robust scale of values[t-lag-window+1 : t-lag+1] (NaN before)."""
    n = len(values)
    median = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    if n < window + lag:
        return median, scale
    windows = sliding_window_view(values, window)  # windows[i] covers i .. i+window-1
    med = np.median(windows, axis=1)
    mad = np.median(np.abs(windows - med[:, None]), axis=1) * MAD_TO_SIGMA
    std = windows.std(axis=1)
    spread = np.maximum(mad, 0.25 * std)  # a flat window (MAD 0) must not make every blip infinite
    usable = n - window + 1 - lag  # windows whose lagged target index is still inside the series
    target = np.arange(window - 1, window - 1 + usable) + lag
    median[target] = med[:usable]
    scale[target] = spread[:usable]
    return median, scale


def _z_to_score(z: Array, half: float) -> Array:
    """Map robust z (>= 0) monotonically onto [0, 1): ``half`` sigmas score 0.5; large z never saturates to 1.0,
    so a threshold can still separate a 10-sigma event from a 40-sigma one."""
    return z / (z + half)


def scores(values: Array, params: DetectorParams | None = None) -> Array:
    """Return one causal anomaly score in [0, 1] per sample of ``values``."""
    p = params or DetectorParams()
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    out = np.zeros(n)
    if n <= p.min_history:
        return out
    window = min(p.window, max(p.min_history, n // 4))
    # the reference for sample t ends p.short samples before t, so the samples judged are never in it
    median, scale = _robust_reference(y, window, p.short)
    floor = 1e-9 + 1e-6 * np.nanmax(np.abs(y)) if np.isfinite(np.nanmax(np.abs(y))) else 1e-9
    scale = np.maximum(scale, floor)
    spike_z = np.abs(y - median) / scale
    recent = np.convolve(y, np.ones(p.short) / p.short, mode="full")[:n]  # mean of y[t-short+1 .. t]
    shift_z = np.abs(recent - median) / (scale / math.sqrt(p.short))
    z = np.fmax(spike_z, shift_z / 2.0)
    z[: max(p.min_history, window + p.short)] = np.nan
    z = np.nan_to_num(z, nan=0.0)
    # Cool-down: after an event, stay quiet unless something clearly stronger than it happens.
    quiet_until, reported = -1, 0.0
    for t in range(n):
        if t <= quiet_until and z[t] <= 1.5 * reported:
            z[t] = 0.0
            continue
        if z[t] >= p.alert_z:
            quiet_until, reported = t + p.cooldown, z[t]
    return _z_to_score(z, p.half)

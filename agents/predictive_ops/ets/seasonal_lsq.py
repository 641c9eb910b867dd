"""Least-squares initial state of the additive seasonal ETS models for fixed smoothing parameters.

The one-step errors are linear in the initial state (level, trend, m seasonal values), so the best
initial state is a linear least-squares fit of the errors' impulse responses. Three facts keep it
cheap: the level's response equals that of adding 1 to every seasonal value (the column is redundant,
so it is dropped and the seasonal is centred afterwards); by time invariance, the response to seasonal
slot j is the response to slot 0 delayed by j, so the m seasonal columns are shifts of one sequence g;
and the Gram matrix of shifts is the Toeplitz matrix of g's autocorrelation (by FFT) less the products
of the tail that the delays push past the end, accumulated along diagonals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating[Any]]
State = tuple[Array, Array, Array]
Errors = Callable[..., tuple[Array, State]]

LSQ_WIDTH = 64  # columns per solve: the Gram matrices are (m + 1)^2 each
FLUSH = 1e-150
RIDGE = 1e-10  # relative to the mean diagonal: keeps an exactly collinear column from failing the solve


def lsq_initial_state(
    x: Array, gains: Array, phi: Array, state: State, trend: NDArray[np.bool_], errors: Errors
) -> State:
    """Return the initial state (level (W,), trend (W,), ring (m, W)) minimising the SSE of ``errors``
    on time-major ``x`` (T, W) for ``gains`` (3, W) and ``phi`` (W,); columns without ``trend`` keep trend 0.

    The seasonal values of the result sum to zero (their mean moves to the level, which changes no error).
    """
    level, slope, ring = (np.array(s, dtype=np.float64) for s in state)
    # one buffer for every chunk: a fresh 40 MB array per chunk would cost its page faults each time
    buffer = np.empty((min(LSQ_WIDTH, x.shape[1]), ring.shape[0] + 1, ring.shape[0] + 1))
    for lo in range(0, x.shape[1], LSQ_WIDTH):
        cols = slice(lo, lo + LSQ_WIDTH)
        shift = _solve(x[:, cols], gains[:, cols], phi[cols], (level[cols], slope[cols], ring[:, cols]),
                       trend[cols], errors, buffer)  # fmt: skip
        slope[cols] += np.where(trend[cols], shift[0], 0.0)
        ring[:, cols] += shift[1:]
    centre = ring.mean(axis=0)
    ring -= centre
    return level + centre, slope, ring


def _solve(
    x: Array, gains: Array, phi: Array, state: State, trend: NDArray[np.bool_], errors: Errors, buffer: Array
) -> Array:
    """Return the change (m + 1, W) of (trend, seasonal slot 0 .. m - 1) that minimises the SSE; ``buffer``
    (>= W, m + 1, m + 1) holds the Gram matrices."""
    length, width = x.shape
    m = state[2].shape[0]
    zero, one = np.zeros(width), np.ones(width)
    impulse = np.zeros((m, width))
    impulse[0] = 1.0
    # one pass, three column blocks: the errors now, the response to seasonal slot 0, to the trend
    stacked = np.concatenate([x, np.zeros((length, 2 * width))], axis=1)
    start = (
        np.concatenate([state[0], zero, zero]),
        np.concatenate([state[1], zero, one]),
        np.concatenate([state[2], impulse, np.zeros((m, width))], axis=1),
    )
    out = np.empty_like(stacked)
    errors(stacked, np.tile(gains, 3), np.tile(phi, 3), start, out=out)
    # Responses decay over a thousand steps into subnormal numbers, and subnormal products slow the
    # factorisation twentyfold; below 1e-150 of the unit impulse they change no digit of the result.
    out[np.abs(out) < FLUSH] = 0.0
    now, g, h = out[:, :width], out[:, width : 2 * width], out[:, 2 * width :]
    size = 1 << (length + m - 1).bit_length()  # no circular wrap for delays up to m
    spectrum = np.conj(np.fft.rfft(g, size, axis=0))

    def correlate(a: Array) -> Array:
        """sum_t a_t g_{t-j} for j = 0 .. m - 1, (m, W)."""
        return np.fft.irfft(np.fft.rfft(a, size, axis=0) * spectrum, size, axis=0)[:m]

    auto = correlate(g).T  # (W, m): sum_t g_t g_{t-d}
    gram = buffer[:width]
    # Seasonal block: entry (j, k) sums g_{t-j} g_{t-k} over t < T; row 0 is the autocorrelation, and
    # each step down a diagonal drops the last product, g_{T-j} g_{T-k}.
    tail = g[::-1][:m].T  # tail[:, a] = g_{T-1-a}
    seasonal = gram[:, 1:, 1:]
    seasonal[:, 0] = auto
    for j in range(1, m):
        np.multiply(tail[:, j - 1 : j], tail[:, : m - 1], out=seasonal[:, j, 1:])
        np.subtract(seasonal[:, j - 1, :-1], seasonal[:, j, 1:], out=seasonal[:, j, 1:])
        seasonal[:, j, 0] = auto[:, j]
    cross = correlate(h).T  # sum_t h_t g_{t-j}
    gram[:, 0, 1:] = gram[:, 1:, 0] = np.where(trend[:, None], cross, 0.0)
    gram[:, 0, 0] = np.where(trend, np.einsum("tw,tw->w", h, h), 1.0)
    rhs = np.empty((width, m + 1))
    rhs[:, 0] = np.where(trend, -np.einsum("tw,tw->w", now, h), 0.0)
    rhs[:, 1:] = -correlate(now).T
    index = np.arange(m + 1)
    diagonal = gram[:, index, index]
    gram[:, index, index] = diagonal + RIDGE * diagonal.mean(axis=1, keepdims=True) + FLUSH
    # parameters outside the forecastable region can overflow the responses: such columns keep their state
    broken = ~(np.isfinite(gram).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=1))
    gram[broken], rhs[broken] = np.eye(m + 1), 0.0
    solved = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
    return np.where(np.isfinite(solved), solved, 0.0).T

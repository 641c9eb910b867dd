"""Additive seasonality for the ETS family, ETS(A,N,A), ETS(A,A,A) and ETS(A,Ad,A), vectorised across series.

Error-correction form with period m, for level l, trend b, damping phi and seasonal s:
    yhat_t = l_{t-1} + phi b_{t-1} + s_{t-m}          e_t = y_t - yhat_t
    l_t    = l_{t-1} + phi b_{t-1} + alpha e_t
    b_t    = phi b_{t-1} + alpha beta e_t              (beta in its Holt form, as in `ets_forecaster`)
    s_t    = s_{t-m} + gamma e_t
This is statsmodels' additive Holt-Winters recursion; SES is phi = 0 with no trend. Its ARIMA form has
m + 1 dense moving-average terms, so unlike `ets_search` the errors are run in state form: each column
(one series and damping) keeps a ring of m seasonal values, and a time step reads and writes one slot.

The fit per series and damping: a start from the first two periods; a shared coarse grid over
(alpha, gamma); the least-squares initial state for the best grid point (`lsq_initial_state`); then
Levenberg-Marquardt steps in the gains (alpha, alpha beta, gamma) with forward-mode derivatives
(`ROUNDS` says how many, and how often the initial state is refitted in between). The search runs in
float32 on scaled values; the initial state is solved in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from agents.predictive_ops.ets.seasonal_lsq import lsq_initial_state

Array = NDArray[np.floating[Any]]  # float32 inside the search, float64 elsewhere
Float64 = NDArray[np.float64]
State = tuple[Array, Array, Array]  # level (W,), trend (W,), seasonal ring (m, W): slot j is used at t = j mod m

GRID_ALPHAS = np.array([0.05, 0.2, 0.5, 0.8])
GRID_GAMMAS = np.array([0.01, 0.1])
GRID_BETA = 0.01
# Levenberg-Marquardt steps after each least-squares initial state. One round: a second (3 + 2 steps)
# costs as much again and gained nothing on synthetic daily series (SSE within 0.1 % of statsmodels'
# either way), the least-squares solves being most of the seasonal fit's time.
ROUNDS = (5,)
WIDTH = 4096  # columns per time-loop pass
ALPHA_BOUNDS = (1e-3, 0.999)


def errors(x: Array, gains: Array, phi: Array, state: State, out: Array | None = None) -> tuple[Array, State]:
    """Run the recursion over time-major ``x`` (T, W) with ``gains`` (3, W) = (alpha, alpha beta, gamma);
    return (SSE (W,), final state). With ``out`` (T, W), the one-step errors are written there too."""
    level, trend, ring = (s.astype(x.dtype, copy=True) for s in state)
    m = ring.shape[0]
    total, e, f, tmp = (np.zeros(x.shape[1], x.dtype) for _ in range(4))
    for t in range(x.shape[0]):
        slot = ring[t % m]
        _one_step_error(x[t], level, trend, slot, phi, f, e)
        _advance(level, trend, slot, f, e, gains, phi, tmp)
        np.multiply(e, e, out=tmp)
        total += tmp
        if out is not None:
            out[t] = e
    return total, (level, trend, ring)


def sse_gradient(x: Array, gains: Array, phi: Array, state: State) -> tuple[Array, Array, Array]:
    """Return (SSE (W,), J'e (3, W), J'J (3, 3, W)) with J = de/d(alpha, alpha beta, gamma).

    The derivatives of level, trend and every seasonal slot are carried along the recursion
    (forward mode), so the gradient is exact for the float precision of ``x``.
    """
    a, c, g = gains
    level, trend, ring = (s.astype(x.dtype, copy=True) for s in state)
    m, width = ring.shape
    dl, db = np.zeros((3, width), x.dtype), np.zeros((3, width), x.dtype)
    ds = np.zeros((m, 3, width), x.dtype)
    total, e, f, tmp = (np.zeros(width, x.dtype) for _ in range(4))
    de, pdb, scratch = (np.zeros((3, width), x.dtype) for _ in range(3))
    je, jj = np.zeros((3, width), x.dtype), np.zeros((3, 3, width), x.dtype)
    for t in range(x.shape[0]):
        slot, dslot = ring[t % m], ds[t % m]
        _one_step_error(x[t], level, trend, slot, phi, f, e)
        # derivatives first: they need the state before this step
        np.multiply(phi, db, out=pdb)
        np.add(dl, pdb, out=de)
        de += dslot
        np.negative(de, out=de)
        np.multiply(a, de, out=scratch)
        dl += pdb
        dl += scratch
        dl[0] += e
        np.multiply(c, de, out=db)
        db += pdb
        db[1] += e
        np.multiply(g, de, out=scratch)
        dslot += scratch
        dslot[2] += e
        np.multiply(de, e, out=scratch)
        je += scratch
        jj += de[:, None] * de[None, :]
        _advance(level, trend, slot, f, e, gains, phi, tmp)
        np.multiply(e, e, out=tmp)
        total += tmp
    return total, je, jj


def _one_step_error(xt: Array, level: Array, trend: Array, slot: Array, phi: Array, f: Array, e: Array) -> None:
    """Write the forecast without its season, f = l + phi b, and the one-step error e = x_t - f - s, in place."""
    np.multiply(phi, trend, out=f)
    f += level
    np.subtract(xt, f, out=e)
    e -= slot


def _advance(level: Array, trend: Array, slot: Array, f: Array, e: Array, gains: Array, phi: Array, tmp: Array) -> None:
    """Advance level, trend and this step's seasonal slot by the error ``e``, in place (``tmp`` is scratch)."""
    a, c, g = gains
    np.multiply(a, e, out=level)
    level += f
    trend *= phi
    np.multiply(c, e, out=tmp)
    trend += tmp
    np.multiply(g, e, out=tmp)
    slot += tmp


def _clip(gains: Array, trend: NDArray[np.bool_]) -> Array:
    """Return ``gains`` moved into the admissible region: alpha within its bounds, beta in [0, 1), gamma in
    [0, 1 - alpha] (statsmodels' bound on gamma)."""
    a = np.clip(gains[0], *ALPHA_BOUNDS)
    c = np.where(trend, np.clip(gains[1], 0.0, 0.999 * a), 0.0)
    g = np.clip(gains[2], 0.0, 1.0 - a)
    return np.stack([a, c, g]).astype(gains.dtype)


def _step(gains: Array, je: Array, jj: Array, damping: Array, trend: NDArray[np.bool_]) -> Array:
    """Return the Levenberg-Marquardt step (3, W) solving (J'J + damping diag(J'J)) d = -J'e over the free gains.

    A gain is held (its row and column replaced by the identity) where the model has no such term
    (alpha beta without a trend) or where it sits on a bound that the descent direction -J'e points past:
    a step projected back onto that bound would no longer be a descent step.
    """
    a = gains[0]
    lower = np.stack([np.full_like(a, ALPHA_BOUNDS[0]), np.zeros_like(a), np.zeros_like(a)])
    upper = np.stack([np.full_like(a, ALPHA_BOUNDS[1]), 0.999 * a, 1.0 - a])
    slack = 1e-6
    held = ((gains <= lower + slack) & (je > 0)) | ((gains >= upper - slack) & (je < 0))
    held[1] |= ~trend
    h = jj.astype(np.float64)
    grad = np.where(held, 0.0, je.astype(np.float64))
    for i in range(3):
        h[i, :] = np.where(held[i], 0.0, h[i, :])
        h[:, i] = np.where(held[i], 0.0, h[:, i])
        h[i, i] = np.where(held[i], 1.0, h[i, i] * (1.0 + damping) + 1e-12)
    matrix = np.moveaxis(h, -1, 0)
    with np.errstate(all="ignore"):
        det = np.linalg.det(matrix)
        ok = np.isfinite(det) & (np.abs(det) > 1e-300)
        safe = np.where(ok[:, None, None], matrix, np.eye(3))
        step = np.linalg.solve(safe, -grad.T[:, :, None])[:, :, 0].T
    return np.where(ok & np.isfinite(step).all(axis=0), step, 0.0)


def refine(
    x: Array, gains: Array, phi: Array, state: State, trend: NDArray[np.bool_], iterations: int
) -> tuple[Array, Array]:
    """Run ``iterations`` Levenberg-Marquardt steps from ``gains`` (3, W); return (gains, SSE).

    A step is kept only where it lowers the SSE, so the result is never worse than the start.
    """
    total, je, jj = sse_gradient(x, gains, phi, state)
    damping = np.full(x.shape[1], 1e-3)
    for _ in range(iterations):
        trial = _clip(gains + _step(gains, je, jj, damping, trend).astype(gains.dtype), trend)
        new_total, new_je, new_jj = sse_gradient(x, trial, phi, state)
        better = new_total < total
        gains = np.where(better, trial, gains)
        total = np.where(better, new_total, total)
        je, jj = np.where(better, new_je, je), np.where(better, new_jj, jj)
        damping = np.where(better, damping / 3.0, damping * 8.0)
    return gains, total


def first_state(y: Array, period: int, phi: Array) -> tuple[Array, Array, Array]:
    """Return (level, trend, seasonal (n, m)) before the first observation of ``y`` (n, T >= 2m), from the
    first two periods: a line through their means, the seasonal the mean deviation from it per phase.
    Where phi is 0 (no trend) the line is flat at the mean of both periods."""
    m = period
    first, second = y[:, :m].mean(axis=1), y[:, m : 2 * m].mean(axis=1)
    slope = np.where(phi > 0, (second - first) / m, 0.0)
    at_start = (first + second) / 2.0 - slope * (m - 0.5)
    line = at_start[:, None] + slope[:, None] * np.arange(2 * m)
    deviation = y[:, : 2 * m] - line
    season = (deviation[:, :m] + deviation[:, m:]) / 2.0
    season -= season.mean(axis=1, keepdims=True)
    return at_start - phi * slope, slope, season


def search(
    y: Array, phi: Array, period: int, dtype: type[np.floating[Any]] = np.float32
) -> tuple[Array, Array, Array, Array, Array, Array, Array]:
    """Fit the seasonal model with each damping ``phi`` (G,) to every series of ``y`` (C, T >= 2 period);
    return (alpha, beta, gamma, SSE, level, trend) each (G, C), and the seasonal (G, C, m): the state
    before the first observation, for which the SSE (of the float32 search) was measured."""
    groups, (count, length) = phi.size, y.shape
    out = [np.empty((groups, count)) for _ in range(6)]
    season_out = np.empty((groups, count, period))
    per = max(1, WIDTH // groups)
    for lo in range(0, count, per):
        rows = y[lo : lo + per]
        n = rows.shape[0]
        origin = rows[:, 0].copy()
        diff = np.diff(rows, axis=1)
        scale = np.sqrt(np.einsum("ct,ct->c", diff, diff) / max(length - 1, 1))
        scale = np.where(scale > 0, scale, 1.0)
        scaled = (rows - origin[:, None]) / scale[:, None]
        col_phi = np.repeat(phi, n)
        trend = col_phi > 0
        tiled = np.tile(scaled, (groups, 1))
        level, slope, season = first_state(tiled, period, col_phi)
        state: State = (level, slope, np.ascontiguousarray(season.T))
        x64 = np.ascontiguousarray(tiled.T)
        x = x64.astype(dtype)
        p = col_phi.astype(dtype)
        gains = _grid(x, p, state, trend)
        for steps in ROUNDS:
            state = lsq_initial_state(x64, gains.astype(np.float64), col_phi, state, trend, errors)
            gains, total = refine(x, gains, p, state, trend, steps)
        g64 = gains.astype(np.float64)
        alpha = g64[0]
        beta = np.where(trend, g64[1] / alpha, 0.0)
        sc = np.tile(scale, groups)
        values = (alpha, beta, g64[2], total * sc * sc, state[0] * sc + np.tile(origin, groups), state[1] * sc)
        for target, value in zip(out, values, strict=True):
            target[:, lo : lo + n] = value.reshape(groups, n)
        season_out[:, lo : lo + n] = (state[2] * sc).T.reshape(groups, n, period)
    return (*out, season_out)  # type: ignore[return-value]


def _grid(x: Array, phi: Array, state: State, trend: NDArray[np.bool_]) -> Array:
    """Return the gains (3, W) of the shared grid point with the lowest SSE per column."""
    best, best_sse = None, np.full(x.shape[1], np.inf)
    for a in GRID_ALPHAS:
        for g in GRID_GAMMAS:
            gains = _clip(np.stack([np.full(x.shape[1], v) for v in (a, a * GRID_BETA, g)]).astype(x.dtype), trend)
            total, _ = errors(x, gains, phi, state)
            total = np.where(np.isfinite(total), total, np.inf)
            better = total < best_sse
            best = gains if best is None else np.where(better, gains, best)
            best_sse = np.where(better, total, best_sse)
    assert best is not None
    return best


def run(
    y: Array, alpha: Array, beta: Array, gamma: Array, phi: Array, init: tuple[Array, Array, Array]
) -> tuple[Float64, Float64, Float64, Float64]:
    """Run the recursion in float64 over ``y`` (n, T) from ``init`` (level, trend, seasonal (n, m) before the
    first observation; seasonal[:, j] is used at t = j mod m); return (one-step forecasts (n, T), final
    level, final trend, seasonal ahead (n, m)), where seasonal ahead[:, h - 1] is the seasonal of the
    h-step forecast (h = 1 .. m) from the end of ``y``."""
    length = y.shape[1]
    x = np.ascontiguousarray(y.T, dtype=np.float64)
    residual = np.empty_like(x)
    gains = np.stack([alpha, alpha * beta, gamma]).astype(np.float64)
    state = (init[0], init[1], np.ascontiguousarray(init[2].T))
    _, (level, trend, ring) = errors(x, gains, phi.astype(np.float64), state, out=residual)
    m = ring.shape[0]
    ahead = ring[(length + np.arange(m)) % m].T
    as64: list[Float64] = [np.ascontiguousarray(a, dtype=np.float64) for a in ((x - residual).T, level, trend, ahead)]
    return as64[0], as64[1], as64[2], as64[3]

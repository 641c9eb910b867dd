"""Vectorised exponential smoothing (additive error): SES, Holt linear and damped-trend Holt.

All series are fitted at once: the recursions loop over time only, each step a handful of numpy
operations across every series (in cache-sized chunks), never a Python loop over series. Smoothing
parameters and the initial state are chosen per series by minimising the one-step-ahead squared error
(`ets_search`: shared coarse grid, Levenberg-Marquardt steps with analytic derivatives, least-squares
initial state); the model (SES, Holt, damped Holt with phi = 0.95) is then chosen per series by AICc.
Forecast intervals use the analytic variance of the additive-error ETS models.

The recursion, for level l, trend b, damping phi:
    yhat_t = l_{t-1} + phi * b_{t-1}
    l_t    = alpha * y_t + (1 - alpha) * yhat_t
    b_t    = beta * (l_t - l_{t-1}) + (1 - beta) * phi * b_{t-1}
SES is beta = 0 with no trend; Holt is phi = 1. `initial_state` (the default of `run`, and where the
fit starts) takes the state before the first observation from a least-squares line through the first
points; `fit` then refits it and returns it in `Fit.initial_level` / `Fit.initial_trend`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from agents.ets_search import search, time_major

Array = NDArray[np.float64]

Z95 = 1.959963984540054


class Model(StrEnum):
    SES = "ses"
    HOLT = "holt"
    DAMPED = "damped"


@dataclass(frozen=True)
class Fit:
    """Per-series fitted state: parameters, final level/trend, residual variance and chosen model."""

    model: list[Model]
    alpha: Array
    beta: Array
    phi: Array
    level: Array
    trend: Array
    sigma2: Array
    sse: Array
    aicc: Array
    # level and trend before the first observation: `run(y, alpha, beta, phi, init)` reproduces the fit
    initial_level: Array | None = None
    initial_trend: Array | None = None


INIT_POINTS = 24
CHUNK = 4096  # series per state-recursion pass: its arrays stay in cache


def _line_start(y: Array) -> tuple[Array, Array]:
    """Return (value at the first observation, slope) of a least-squares line through the first points."""
    k = int(min(INIT_POINTS, max(2, y.shape[1] // 4)))
    t = np.arange(k, dtype=np.float64) - (k - 1) / 2.0
    head = y[:, :k]
    slope = (head - head.mean(axis=1, keepdims=True)) @ t / float(t @ t)
    return head.mean(axis=1) - slope * (k - 1) / 2.0, slope


def initial_state(y: Array, phi: Array) -> tuple[Array, Array]:
    """Return the (level, trend) before the first observation, from a least-squares line through the first
    points (a single noisy difference would make a poor initial trend); SES (phi = 0) has no trend."""
    start, slope = _line_start(y)
    trend = np.where(phi > 0, slope, 0.0)
    return start - phi * trend, trend


def run(
    y: Array, alpha: Array, beta: Array, phi: Array, init: tuple[Array, Array] | None = None
) -> tuple[Array, Array, Array]:
    """Run the recursion over all of ``y`` (n, T); return (one-step forecasts (n, T), final level, final trend).

    ``fitted[:, t]`` is the forecast of ``y[:, t]`` made before it was seen, so residuals carry no
    look-ahead. ``init`` overrides `initial_state` (level and trend before the first observation).
    """
    n, length = y.shape
    level, trend = init if init is not None else initial_state(y, phi)
    level, trend = level.copy(), trend.copy()
    fitted = np.empty((n, length))
    for t in range(length):
        forecast = level + phi * trend
        fitted[:, t] = forecast
        new_level = alpha * y[:, t] + (1.0 - alpha) * forecast
        trend = beta * (new_level - level) + (1.0 - beta) * phi * trend
        level = new_level
    return fitted, level, trend


PHI = {Model.SES: 0.0, Model.HOLT: 1.0, Model.DAMPED: 0.95}
PARAMETERS = {Model.SES: 2, Model.HOLT: 4, Model.DAMPED: 5}  # smoothing parameters + initial state


def _aicc(sse: Array, length: int, k: Array | int) -> Array:
    """AICc of a Gaussian additive-error model with ``k`` estimated parameters on ``length`` residuals."""
    sigma2 = np.maximum(sse / length, 1e-12)
    aic = length * np.log(sigma2) + 2 * k
    return aic + (2 * k * (k + 1)) / np.maximum(length - k - 1, 1)


def _final_state(
    y: Array, alpha: Array, beta: Array, phi: Array, init: tuple[Array, Array]
) -> tuple[Array, Array, Array]:
    """Run the state recursion on ``y`` (n, T) in float64 from ``init`` (level, trend before the first
    observation); return (final level, final trend, SSE), each (n,)."""
    n, length = y.shape
    level, trend = init[0].copy(), init[1].copy()
    total = np.zeros(n)
    gain = alpha * beta
    step = min(n, CHUNK)
    rows = np.empty((length, step))
    for lo in range(0, n, step):
        c = slice(lo, lo + step)
        values = time_major(y[c], rows)
        lv, tr, tot, a, p, g = level[c], trend[c], total[c], alpha[c], phi[c], gain[c]
        for t in range(length):
            forecast = lv + p * tr
            error = values[t] - forecast
            tot += error * error
            lv = forecast + a * error
            tr = p * tr + g * error
        level[c], trend[c], total[c] = lv, tr, tot
    return level, trend, total


def fill_gaps(y: Array) -> tuple[Array, NDArray[np.bool_]]:
    """Return (``y`` with non-finite values filled, rows that had no finite value).

    A gap is filled by linear interpolation between its finite neighbours and held flat before the
    first and after the last; an empty row becomes zeros. Only rows with gaps are touched.
    """
    finite = np.isfinite(y)
    empty: NDArray[np.bool_] = np.logical_not(finite.any(axis=1))
    gappy = np.flatnonzero(~finite.all(axis=1))
    if gappy.size == 0:
        return y, empty
    y = y.copy()
    steps = np.arange(y.shape[1])
    for row in gappy:
        known = finite[row]
        y[row] = np.interp(steps, steps[known], y[row, known]) if known.any() else 0.0
    return y, empty


def fit(y: Array, models: tuple[Model, ...] = (Model.SES, Model.HOLT, Model.DAMPED)) -> Fit:
    """Fit every series of ``y`` (n, T >= 4) with each model and keep, per series, the one with the lowest AICc.

    Parameters minimise the one-step squared error (`ets_search.search`); the returned ``sse`` is that
    of the returned parameters, recomputed in float64 by the state recursion. Missing (non-finite)
    values are filled as in `fill_gaps` first; a series with no finite value gets NaN level, trend and
    variance, hence NaN forecasts. A constant series gets zero variance: its interval is the point.
    """
    y = np.asarray(y, dtype=np.float64)
    n, length = y.shape
    if length < 4:
        raise ValueError("need at least 4 points per series")
    if n == 0:
        nothing = np.empty(0)
        return Fit([], nothing, nothing, nothing, nothing, nothing, nothing, nothing, nothing)
    y, empty = fill_gaps(y)
    phis = np.array([PHI[m] for m in models])
    start, slope = _line_start(y)
    alphas, betas, sses, starts, slopes = search(y, phis, start, slope)
    aiccs = np.stack([_aicc(sses[i], length, PARAMETERS[m]) for i, m in enumerate(models)])
    choice = np.argmin(aiccs, axis=0)
    rows = np.arange(n)
    alpha, beta, phi = alphas[choice, rows], betas[choice, rows], phis[choice]
    first, initial_trend = starts[choice, rows], slopes[choice, rows]
    initial = (first - phi * initial_trend, initial_trend)
    level, trend, sse = _final_state(y, alpha, beta, phi, initial)
    level[empty] = trend[empty] = sse[empty] = np.nan
    return Fit(
        model=[models[c] for c in choice],
        alpha=alpha,
        beta=beta,
        phi=phi,
        level=level,
        trend=trend,
        sigma2=sse / length,
        sse=sse,
        aicc=_aicc(sse, length, np.array([PARAMETERS[m] for m in models])[choice]),
        initial_level=initial[0],
        initial_trend=initial[1],
    )


def forecast(state: Fit, horizon: int) -> tuple[Array, Array, Array]:
    """Return (point, lower95, upper95), each (n, horizon), from a fitted state.

    Variance of the h-step error for additive ETS: sigma2 * (1 + sum_{j=1}^{h-1} c_j^2) with
    c_j = alpha * (1 + beta * (phi + ... + phi^j)).
    """
    steps = np.arange(1, horizon + 1)
    phi = state.phi[:, None]
    # damped sums phi + phi^2 + ... + phi^h (phi = 1 gives h; phi = 0 gives 0)
    powers = phi ** steps[None, :]
    damp_sum = np.cumsum(powers, axis=1)
    point = state.level[:, None] + damp_sum * state.trend[:, None]
    c = state.alpha[:, None] * (1.0 + state.beta[:, None] * damp_sum)
    cumulative = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c**2, axis=1)[:, :-1]], axis=1)
    sd = np.sqrt(state.sigma2[:, None] * (1.0 + cumulative))
    return point, point - Z95 * sd, point + Z95 * sd


def forecast_sd(state: Fit, horizon: int) -> Array:
    """Return the standard deviation of the h-step forecast error, (n, horizon)."""
    point, lower, _ = forecast(state, horizon)
    return (point - lower) / Z95

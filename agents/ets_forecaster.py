"""Vectorised exponential smoothing (additive error): SES, Holt linear and damped-trend Holt.

All series are fitted at once: arrays are shaped (series, time) and the recursion loops over time
only, each step a handful of numpy operations across every series and every candidate parameter
set. Parameters are chosen per series by minimising the one-step-ahead squared error over a grid
followed by a finer local grid; the model (SES, Holt, damped Holt) is then chosen per series by AICc.
Forecast intervals use the analytic variance of the additive-error ETS models.

The recursion, for level l, trend b, damping phi:
    yhat_t = l_{t-1} + phi * b_{t-1}
    l_t    = alpha * y_t + (1 - alpha) * yhat_t
    b_t    = beta * (l_t - l_{t-1}) + (1 - beta) * phi * b_{t-1}
SES is beta = 0 with no trend; Holt is phi = 1. Initial state, before the first observation:
b = y_1 - y_0 (0 for SES) and l = y_0 - phi * b, so the first one-step forecast is y_0 itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

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


INIT_POINTS = 24


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


def _sse_grid(y: Array, alpha: Array, beta: Array, phi: Array) -> Array:
    """Return the one-step SSE of every series (rows of ``y``) under every candidate (columns of the (n, k)
    parameter arrays), accumulated during the recursion so nothing of size (n, k, T) is ever stored."""
    start, slope = _line_start(y)
    trend = np.where(phi > 0, slope[:, None], 0.0)
    level = start[:, None] - phi * trend
    sse = np.zeros(alpha.shape)
    keep_trend = (1.0 - beta) * phi
    # In-place arithmetic on preallocated buffers: this loop is the whole cost of fitting.
    forecast, error, scratch, new_level = (np.empty(alpha.shape) for _ in range(4))
    for t in range(y.shape[1]):
        np.multiply(phi, trend, out=scratch)
        np.add(level, scratch, out=forecast)
        np.subtract(y[:, t : t + 1], forecast, out=error)
        np.multiply(error, error, out=scratch)
        sse += scratch
        np.multiply(alpha, error, out=scratch)
        np.add(forecast, scratch, out=new_level)
        np.subtract(new_level, level, out=scratch)
        scratch *= beta
        trend *= keep_trend
        trend += scratch
        level, new_level = new_level, level
    return sse


def _search(y: Array, grid: Array) -> tuple[Array, Array]:
    """Evaluate every parameter row of ``grid`` (k, 3) on every series; return best params (n, 3) and SSE (n,)."""
    n = y.shape[0]
    shape = (n, grid.shape[0])
    sse = _sse_grid(y, *(np.broadcast_to(grid[:, i], shape) for i in range(3)))
    sse = np.where(np.isfinite(sse), sse, np.inf)
    best = np.argmin(sse, axis=1)
    return grid[best], sse[np.arange(n), best]


def _refine(y: Array, best: Array, step: Array, fixed_beta_zero: bool) -> tuple[Array, Array]:
    """One finer local search around each series' best (alpha, beta), keeping phi."""
    offsets = np.array([-1.0, 0.0, 1.0])
    deltas = [(da, db) for da in offsets for db in ([0.0] if fixed_beta_zero else offsets)]
    n = y.shape[0]
    alpha = np.stack([np.clip(best[:, 0] + da * step[0], 0.001, 0.999) for da, _ in deltas], axis=1)
    beta = np.stack([np.clip(best[:, 1] + db * step[1], 0.0, 0.999) for _, db in deltas], axis=1)
    phi = np.repeat(best[:, 2:3], len(deltas), axis=1)
    sse = _sse_grid(y, alpha, beta, phi)
    sse = np.where(np.isfinite(sse), sse, np.inf)
    pick = np.argmin(sse, axis=1)
    rows = np.arange(n)
    chosen = np.stack([alpha[rows, pick], beta[rows, pick], phi[rows, pick]], axis=1)
    return chosen, sse[rows, pick]


ALPHAS = np.array([0.02, 0.08, 0.2, 0.4, 0.65, 0.9])
BETAS = np.array([0.0, 0.01, 0.05, 0.2])
PHI_DAMPED = 0.95


def _grid(model: Model) -> Array:
    if model is Model.SES:
        return np.array([[a, 0.0, 0.0] for a in ALPHAS])
    phi = 1.0 if model is Model.HOLT else PHI_DAMPED
    return np.array([[a, b, phi] for a in ALPHAS for b in BETAS])


def _aicc(sse: Array, length: int, k: int) -> Array:
    """AICc of a Gaussian additive-error model with ``k`` estimated parameters on ``length`` residuals."""
    sigma2 = np.maximum(sse / length, 1e-12)
    aic = length * np.log(sigma2) + 2 * k
    return aic + (2 * k * (k + 1)) / max(length - k - 1, 1)


def fit(y: Array, models: tuple[Model, ...] = (Model.SES, Model.HOLT, Model.DAMPED)) -> Fit:
    """Fit every series of ``y`` (n, T >= 4) with each model and keep, per series, the one with the lowest AICc."""
    y = np.asarray(y, dtype=np.float64)
    n, length = y.shape
    if length < 4:
        raise ValueError("need at least 4 points per series")
    results = []
    for model in models:
        best, sse = _search(y, _grid(model))
        step = np.array([0.05, 0.02])
        for _ in range(3):
            best, sse = _refine(y, best, step, fixed_beta_zero=model is Model.SES)
            step = step / 2
        k = {Model.SES: 2, Model.HOLT: 4, Model.DAMPED: 5}[model]
        results.append((model, best, sse, _aicc(sse, length, k)))
    aiccs = np.stack([r[3] for r in results])
    choice = np.argmin(aiccs, axis=0)
    params = np.stack([r[1] for r in results])[choice, np.arange(n)]
    sse = np.stack([r[2] for r in results])[choice, np.arange(n)]
    alpha, beta, phi = params[:, 0], params[:, 1], params[:, 2]
    _, level, trend = run(y, alpha, beta, phi)
    return Fit(
        model=[results[c][0] for c in choice],
        alpha=alpha,
        beta=beta,
        phi=phi,
        level=level,
        trend=trend,
        sigma2=sse / length,
        sse=sse,
        aicc=aiccs[choice, np.arange(n)],
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

"""Vectorised exponential smoothing (additive error): SES, Holt linear and damped-trend Holt, each
optionally with an additive seasonal component of period m (`seasonal`).

All series are fitted at once: the recursions loop over time only, each step a handful of numpy
operations across every series (in cache-sized chunks), never a Python loop over series. Smoothing
parameters and the initial state are chosen per series by minimising the one-step-ahead squared error
(`ets_search`: shared coarse grid, Levenberg-Marquardt steps with analytic derivatives, least-squares
initial state); the model (SES, Holt, damped Holt with phi = 0.95, and their seasonal variants when a
period is given and the series spans at least two of them) is then chosen per series by AICc. Forecast
intervals use the analytic variance of the additive-error ETS models (Hyndman et al. 2008, class 1).

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

import agents.predictive_ops.ets.seasonal as ets_seasonal
from agents.predictive_ops.ets.search import search, time_major

Array = NDArray[np.float64]

Z95 = 1.959963984540054


class Model(StrEnum):
    SES = "ses"
    HOLT = "holt"
    DAMPED = "damped"
    SES_SEASONAL = "ses_seasonal"  # ETS(A,N,A)
    HOLT_SEASONAL = "holt_seasonal"  # ETS(A,A,A)
    DAMPED_SEASONAL = "damped_seasonal"  # ETS(A,Ad,A)


NON_SEASONAL = (Model.SES, Model.HOLT, Model.DAMPED)
# each seasonal model and the non-seasonal one it adds a seasonal component to
SEASONAL_OF = {Model.SES_SEASONAL: Model.SES, Model.HOLT_SEASONAL: Model.HOLT, Model.DAMPED_SEASONAL: Model.DAMPED}
ALL_MODELS = (*NON_SEASONAL, *SEASONAL_OF)


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
    # Set when seasonal models were candidates: the period m; seasonal smoothing gamma (0 on rows not
    # chosen seasonal); the seasonal of the h-step forecast at season[:, (h - 1) % m] (zeros on those
    # rows); and the seasonal before the first observation, [:, j] used at t = j mod m.
    period: int | None = None
    gamma: Array | None = None
    season: Array | None = None
    initial_season: Array | None = None


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
PHI |= {seasonal: PHI[base] for seasonal, base in SEASONAL_OF.items()}
PARAMETERS = {Model.SES: 2, Model.HOLT: 4, Model.DAMPED: 5}  # smoothing parameters + initial state


def parameter_count(model: Model, period: int | None) -> int:
    """Return the number of estimated parameters of ``model``: smoothing parameters and initial state; a
    seasonal model adds gamma and m - 1 initial seasonal values (the level absorbs their mean)."""
    if model in SEASONAL_OF:
        return PARAMETERS[SEASONAL_OF[model]] + int(period or 0)
    return PARAMETERS[model]


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


DAY_SECONDS = 86_400.0


def daily_period(step_seconds: float) -> int | None:
    """Return the samples per day for series sampled every ``step_seconds`` (288 at 5 minutes), or None when
    a day holds fewer than two samples."""
    if not np.isfinite(step_seconds) or step_seconds <= 0:
        return None
    per_day = round(DAY_SECONDS / step_seconds)
    return per_day if per_day >= 2 else None


def candidates(models: tuple[Model, ...], length: int, period: int | None) -> tuple[Model, ...]:
    """Return the models of ``models`` that are candidates on series of ``length``: seasonal ones only with a
    ``period`` of at least 2 and at least two full periods of data."""
    seasonal_ok = period is not None and period >= 2 and length >= 2 * period
    return tuple(m for m in models if seasonal_ok or m not in SEASONAL_OF)


def fit(y: Array, models: tuple[Model, ...] = ALL_MODELS, *, period: int | None = None) -> Fit:
    """Fit every series of ``y`` (n, T >= 4) with each candidate model and keep, per series, the one with the
    lowest AICc. The seasonal models of ``models`` are candidates only with a ``period`` m (samples per
    season) and T >= 2 m (`candidates`); without a period the fit is the non-seasonal one.

    Parameters minimise the one-step squared error (`search.search`, `seasonal.search`); the
    returned ``sse`` is that of the returned parameters, recomputed in float64 by the state recursion.
    Missing (non-finite) values are filled as in `fill_gaps` first; a series with no finite value gets
    NaN level, trend and variance, hence NaN forecasts. A constant series gets zero variance: its
    interval is the point. Raises ValueError when no model of ``models`` is a candidate.
    """
    y = np.asarray(y, dtype=np.float64)
    n, length = y.shape
    if length < 4:
        raise ValueError("need at least 4 points per series")
    chosen_from = candidates(models, length, period)
    if not chosen_from:
        raise ValueError(f"no candidate model among {[m.value for m in models]} for {length} points, period {period}")
    if n == 0:
        nothing = np.empty(0)
        return Fit([], nothing, nothing, nothing, nothing, nothing, nothing, nothing, nothing)
    y, empty = fill_gaps(y)
    plain = [m for m in chosen_from if m not in SEASONAL_OF]
    seasonal = [m for m in chosen_from if m in SEASONAL_OF]
    order = plain + seasonal
    phis = np.array([PHI[m] for m in order])
    alphas, betas, gammas, sses = (np.zeros((len(order), n)) for _ in range(4))
    starts, slopes = np.zeros((len(order), n)), np.zeros((len(order), n))
    seasons = np.zeros((len(order), n, period or 0))
    if plain:
        start, slope = _line_start(y)
        found = search(y, phis[: len(plain)], start, slope)
        alphas[: len(plain)], betas[: len(plain)], sses[: len(plain)] = found[:3]
        # search returns the first forecast; the level before the first observation is start - phi * slope
        starts[: len(plain)] = found[3] - phis[: len(plain), None] * found[4]
        slopes[: len(plain)] = found[4]
    if seasonal:
        assert period is not None
        at = slice(len(plain), None)
        alphas[at], betas[at], gammas[at], sses[at], starts[at], slopes[at], seasons[at] = ets_seasonal.search(
            y, phis[at], period
        )
    counts = np.array([parameter_count(m, period) for m in order])
    aiccs = _aicc(sses, length, counts[:, None])
    choice = np.argmin(aiccs, axis=0)
    rows = np.arange(n)
    alpha, beta, phi, gamma = alphas[choice, rows], betas[choice, rows], phis[choice], gammas[choice, rows]
    initial = (starts[choice, rows], slopes[choice, rows])
    is_seasonal = choice >= len(plain)
    level, trend, sse = _final_state(y, alpha, beta, phi, initial)
    season = initial_season = None
    if seasonal:
        initial_season = np.where(is_seasonal[:, None], seasons[choice, rows], 0.0)
        season = np.zeros_like(initial_season)
        picked = np.flatnonzero(is_seasonal)
        if picked.size:
            init = (initial[0][picked], initial[1][picked], initial_season[picked])
            found_s = ets_seasonal.run(y[picked], alpha[picked], beta[picked], gamma[picked], phi[picked], init)
            fitted, level[picked], trend[picked], season[picked] = found_s
            sse[picked] = np.sum((y[picked] - fitted) ** 2, axis=1)
    level[empty] = trend[empty] = sse[empty] = np.nan
    return Fit(
        model=[order[c] for c in choice],
        alpha=alpha,
        beta=beta,
        phi=phi,
        level=level,
        trend=trend,
        sigma2=sse / length,
        sse=sse,
        aicc=_aicc(sse, length, counts[choice]),
        initial_level=initial[0],
        initial_trend=initial[1],
        period=period if seasonal else None,
        gamma=np.where(is_seasonal, gamma, 0.0) if seasonal else None,
        season=season,
        initial_season=initial_season,
    )


def forecast(state: Fit, horizon: int) -> tuple[Array, Array, Array]:
    """Return (point, lower95, upper95), each (n, horizon), from a fitted state.

    Variance of the h-step error for additive ETS (Hyndman et al. 2008, class 1):
    sigma2 * (1 + sum_{j=1}^{h-1} c_j^2) with c_j = alpha * (1 + beta * (phi + ... + phi^j)) + gamma * [j = 0 mod m].
    """
    steps = np.arange(1, horizon + 1)
    phi = state.phi[:, None]
    # damped sums phi + phi^2 + ... + phi^h (phi = 1 gives h; phi = 0 gives 0)
    powers = phi ** steps[None, :]
    damp_sum = np.cumsum(powers, axis=1)
    point = state.level[:, None] + damp_sum * state.trend[:, None]
    c = state.alpha[:, None] * (1.0 + state.beta[:, None] * damp_sum)
    if state.season is not None and state.gamma is not None and state.period:
        point = point + state.season[:, (steps - 1) % state.period]
        c = c + state.gamma[:, None] * (steps % state.period == 0)[None, :]
    cumulative = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c**2, axis=1)[:, :-1]], axis=1)
    sd = np.sqrt(state.sigma2[:, None] * (1.0 + cumulative))
    return point, point - Z95 * sd, point + Z95 * sd


def forecast_sd(state: Fit, horizon: int) -> Array:
    """Return the standard deviation of the h-step forecast error, (n, horizon)."""
    point, lower, _ = forecast(state, horizon)
    return (point - lower) / Z95

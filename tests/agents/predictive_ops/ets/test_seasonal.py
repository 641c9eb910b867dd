"""The additive seasonal ETS recursion and its fit, against statsmodels' Holt-Winters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from agents.predictive_ops.ets import seasonal as ets_seasonal

# (statsmodels trend, damped, our phi): ETS(A,N,A), ETS(A,A,A), ETS(A,Ad,A)
VARIANTS = [(None, False, 0.0), ("add", False, 1.0), ("add", True, 0.95)]


def seasonal_series(seed: int, n: int, length: int, period: int) -> np.ndarray:
    """Level + drift + two daily harmonics + a slow random walk + noise, different per series."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    amplitude, shift = rng.uniform(2, 10, (n, 1)), rng.uniform(0, 2 * np.pi, (n, 1))
    cycle = amplitude * np.sin(2 * np.pi * t / period + shift) + 0.5 * amplitude * np.sin(4 * np.pi * t / period)
    walk = np.cumsum(rng.normal(0, 0.2, (n, length)), axis=1)
    return rng.uniform(20, 80, (n, 1)) + rng.normal(0, 0.01, (n, 1)) * t + cycle + walk + rng.normal(0, 1, (n, length))


def test_run_gives_statsmodels_fitted_values_for_the_same_parameters_and_initial_state() -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    period = 12
    y = seasonal_series(1, 1, 120, period)[0]
    season = np.sin(2 * np.pi * np.arange(period) / period)
    for trend, damped, phi in VARIANTS:
        alpha, beta, gamma = 0.3, (0.1 if trend else 0.0), 0.2
        known = {"initial_level": 50.0, "initial_seasonal": season} | ({"initial_trend": 0.05} if trend else {})
        model = ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal="add", seasonal_periods=period,
                                     initialization_method="known", **known)  # fmt: skip
        params = {"smoothing_level": alpha, "smoothing_seasonal": gamma, "optimized": False}
        params |= ({"smoothing_trend": beta} if trend else {}) | ({"damping_trend": phi} if damped else {})
        reference = model.fit(**params)
        init = (np.array([50.0]), np.array([0.05 if trend else 0.0]), season[None, :])
        fitted, level, _, _ = ets_seasonal.run(
            y[None], np.array([alpha]), np.array([beta]), np.array([gamma]), np.array([phi]), init
        )
        np.testing.assert_allclose(fitted[0], reference.fittedvalues, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(level[0], reference.level[-1], rtol=1e-10)


def test_gradient_matches_finite_differences() -> None:
    period = 12
    y = seasonal_series(2, 3, 100, period)
    x = np.ascontiguousarray((y - y[:, :1]).T)
    phi = np.array([0.0, 1.0, 0.95])
    gains = np.array([[0.3, 0.5, 0.2], [0.0, 0.05, 0.02], [0.1, 0.1, 0.3]])
    state = ets_seasonal.first_state(y - y[:, :1], period, phi)
    ring = (state[0], state[1], np.ascontiguousarray(state[2].T))
    total, je, _ = ets_seasonal.sse_gradient(x, gains, phi, ring)
    np.testing.assert_allclose(total, ets_seasonal.errors(x, gains, phi, ring)[0], rtol=1e-12)
    h = 1e-6
    for i in range(3):
        up, down = gains.copy(), gains.copy()
        up[i] += h
        down[i] -= h
        numeric = (ets_seasonal.errors(x, up, phi, ring)[0] - ets_seasonal.errors(x, down, phi, ring)[0]) / (2 * h)
        np.testing.assert_allclose(numeric, 2 * je[i], rtol=1e-5, atol=1e-6)


def test_returned_state_reproduces_the_reported_error() -> None:
    period = 24
    y = seasonal_series(3, 5, 200, period)
    phi = np.array([0.0, 1.0, 0.95])
    alpha, beta, gamma, sse, level, trend, season = ets_seasonal.search(y, phi, period)
    for g, p in enumerate(phi):
        fitted, _, _, _ = ets_seasonal.run(
            y, alpha[g], beta[g], gamma[g], np.full(5, p), (level[g], trend[g], season[g])
        )
        # the search's SSE is float32; the float64 recursion agrees to its precision
        np.testing.assert_allclose(sse[g], np.sum((y - fitted) ** 2, axis=1), rtol=1e-4)
        assert np.all(gamma[g] <= 1 - alpha[g] + 1e-6) and np.all(gamma[g] >= 0)
        np.testing.assert_allclose(season[g].sum(axis=1), 0.0, atol=1e-8 * np.abs(y).max())


@pytest.mark.parametrize(("period", "length", "count"), [(24, 240, 6), (288, 1000, 1)])
def test_fitted_error_is_no_worse_than_statsmodels(period: int, length: int, count: int) -> None:
    """Against statsmodels' own fit ("estimated": smoothing parameters and every initial value optimised)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = seasonal_series(4, count, length, period)
    phi = np.array([p for _, _, p in VARIANTS])
    ours = ets_seasonal.search(y, phi, period)[3]
    for g, (trend, damped, _) in enumerate(VARIANTS):
        for i in range(count):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ExponentialSmoothing(y[i], trend=trend, damped_trend=damped, seasonal="add",
                                             seasonal_periods=period, initialization_method="estimated")  # fmt: skip
                theirs = model.fit().sse
            # statsmodels also fits the damping where we fix phi = 0.95, hence more room there
            assert ours[g, i] <= theirs * (1.03 if damped else 1.01), (trend, damped, i, ours[g, i] / theirs)


def test_large_offsets_do_not_change_the_fit() -> None:
    y = seasonal_series(5, 4, 120, 12)
    phi = np.array([1.0])
    near, far = ets_seasonal.search(y, phi, 12), ets_seasonal.search(y + 1e9, phi, 12)
    np.testing.assert_allclose(far[0], near[0], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(far[4] - 1e9, near[4], rtol=1e-6, atol=1e-2)

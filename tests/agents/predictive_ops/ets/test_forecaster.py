"""The vectorised ETS forecaster against statsmodels, on synthetic and real (NAB) series."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from agents.predictive_ops.ets import search as ets_search
from agents.predictive_ops.ets import seasonal as ets_seasonal
from agents.predictive_ops.ets.forecaster import (
    ALL_MODELS,
    NON_SEASONAL,
    PHI,
    SEASONAL_OF,
    Fit,
    Model,
    _line_start,
    candidates,
    fill_gaps,
    fit,
    forecast,
    forecast_sd,
    initial_state,
    run,
)
from tests.conftest import SHARED_DIR

NAB_DIR = SHARED_DIR / "data" / "nab" / "realAWSCloudwatch"


def statsmodels_holt(y: np.ndarray, alpha: float, beta: float, phi: float, damped: bool):  # type: ignore[no-untyped-def]
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        y, trend="add", damped_trend=damped, initialization_method="known",
        initial_level=y[0] - phi * (y[1] - y[0]), initial_trend=y[1] - y[0],
    )  # fmt: skip
    params = {"smoothing_level": alpha, "smoothing_trend": beta, "optimized": False}
    if damped:
        params["damping_trend"] = phi
    return model.fit(**params)


@pytest.mark.parametrize(("alpha", "beta", "phi", "damped"), [(0.3, 0.1, 1.0, False), (0.6, 0.2, 0.9, True)])
def test_same_parameters_give_statsmodels_forecasts(alpha: float, beta: float, phi: float, damped: bool) -> None:
    rng = np.random.default_rng(7)
    y = 50 + np.cumsum(rng.normal(0.2, 1.0, 300))
    reference = statsmodels_holt(y, alpha, beta, phi, damped)
    init = (np.array([y[0] - phi * (y[1] - y[0])]), np.array([y[1] - y[0]]))
    fitted, level, trend = run(y[None, :], np.array([alpha]), np.array([beta]), np.array([phi]), init)
    # statsmodels' fittedvalues[t] is the forecast of y[t] made at t-1, as ours
    np.testing.assert_allclose(fitted[0], reference.fittedvalues, rtol=1e-9, atol=1e-8)
    state = Fit([Model.HOLT], np.array([alpha]), np.array([beta]), np.array([phi]), level, trend,
                np.array([1.0]), np.array([0.0]), np.array([0.0]))  # fmt: skip
    point, _, _ = forecast(state, 24)
    np.testing.assert_allclose(point[0], reference.forecast(24), rtol=1e-9, atol=1e-8)


def _series(seed: int, n: int = 30, length: int = 400) -> np.ndarray:
    """Random walks with drift plus noise: level, trend and noise differ per series."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(rng.normal(0, 0.2, (n, 1)), rng.uniform(0.1, 2, (n, 1)), (n, length)), axis=1)
    return 100 + walk + rng.normal(0, rng.uniform(0.1, 3, (n, 1)), (n, length))


@pytest.mark.parametrize("model", [Model.SES, Model.HOLT, Model.DAMPED])
def test_recurrence_errors_equal_the_state_recursion(model: Model) -> None:
    y = _series(1)
    n = y.shape[0]
    rng = np.random.default_rng(2)
    alpha, phi = np.asarray(rng.uniform(0.01, 0.99, n)), np.full(n, PHI[model])
    beta = np.asarray(rng.uniform(0, 0.5, n)) if model is not Model.SES else np.zeros(n)
    fitted, _, _ = run(y, alpha, beta, phi)
    expected = np.sum((y - fitted) ** 2, axis=1)
    start, slope = _line_start(y)
    x = np.empty((y.shape[1], 1, n))
    scale = ets_search.recurrence_input(np.ascontiguousarray(y.T), phi[:1], start, slope, x)
    total = ets_search.sse(x, *ets_search.thetas(alpha[None, None], beta[None, None], phi[None, None]))
    np.testing.assert_allclose(total[0, 0] * scale**2, expected, rtol=1e-9)


def test_analytic_gradient_matches_finite_differences() -> None:
    y = _series(3, n=10)
    start, slope = _line_start(y)
    x = np.empty((y.shape[1], 1, 10))
    ets_search.recurrence_input(np.ascontiguousarray(y.T), np.array([1.0]), start, slope, x)
    theta1, theta2 = ets_search.thetas(np.full((1, 1, 10), 0.3), np.full((1, 1, 10), 0.05), np.ones((1, 1, 10)))
    _, je, _ = ets_search.sse_gradient(x, theta1, theta2)
    h = 1e-6
    for i, (d1, d2) in enumerate(((h, 0.0), (0.0, h))):
        numeric = (ets_search.sse(x, theta1 + d1, theta2 + d2) - ets_search.sse(x, theta1 - d1, theta2 - d2)) / (2 * h)
        np.testing.assert_allclose(numeric[0, 0], 2 * je[i, 0, 0], rtol=1e-5)


@pytest.mark.parametrize("model", [Model.SES, Model.HOLT, Model.DAMPED])
def test_fitted_error_is_close_to_a_dense_grid_optimum(model: Model) -> None:
    """The search (4-point grid + a few Newton-type steps) against 20 x 12 candidates per series."""
    y = _series(5)
    n = y.shape[0]
    ours = fit(y, models=(model,))
    alphas = np.linspace(0.01, 0.99, 20)
    betas = np.array([0.0]) if model is Model.SES else np.geomspace(1e-3, 0.6, 12)
    phi = np.full(n, PHI[model])
    best = np.full(n, np.inf)
    for a in alphas:
        for b in betas:
            fitted, _, _ = run(y, np.full(n, a), np.full(n, b), phi)
            best = np.minimum(best, np.sum((y - fitted) ** 2, axis=1))
    ratio = ours.sse / best
    assert np.median(ratio) <= 1.0, ratio  # continuous steps beat a grid on a typical series
    assert ratio.max() <= 1.01, ratio


def test_reported_sse_and_state_are_those_of_the_returned_parameters() -> None:
    y = _series(7)
    state = fit(y)
    assert state.initial_level is not None and state.initial_trend is not None
    init = (state.initial_level, state.initial_trend)
    fitted, level, trend = run(y, state.alpha, state.beta, state.phi, init)
    np.testing.assert_allclose(state.sse, np.sum((y - fitted) ** 2, axis=1), rtol=1e-10)
    np.testing.assert_allclose(state.level, level, rtol=1e-10)
    np.testing.assert_allclose(state.trend, trend, rtol=1e-10, atol=1e-12)
    # the initial state, refitted for nearby parameters, beats the line through the first points
    line, _, _ = run(y, state.alpha, state.beta, state.phi, initial_state(y, state.phi))
    assert np.all(state.sse <= np.sum((y - line) ** 2, axis=1) * (1 + 1e-3))


def test_interval_coverage_on_random_walk_with_drift() -> None:
    rng = np.random.default_rng(11)
    n, length, horizon = 400, 300, 5
    y = np.cumsum(rng.normal(0.1, 1.0, (n, length + horizon)), axis=1)
    state = fit(y[:, :length])
    _, lower, upper = forecast(state, horizon)
    inside = (y[:, length:] >= lower) & (y[:, length:] <= upper)
    coverage = inside.mean()
    assert 0.88 <= coverage <= 0.99, coverage


def test_interval_coverage_on_local_level_series() -> None:
    rng = np.random.default_rng(13)
    n, length, horizon = 400, 300, 10
    level = 50 + np.cumsum(rng.normal(0, 0.3, (n, length + horizon)), axis=1)
    y = level + rng.normal(0, 1.0, level.shape)
    _, lower, upper = forecast(fit(y[:, :length]), horizon)
    coverage = ((y[:, length:] >= lower) & (y[:, length:] <= upper)).mean()
    assert 0.88 <= coverage <= 0.99, coverage


def test_model_choice_follows_the_data() -> None:
    rng = np.random.default_rng(3)
    flat = 20 + rng.normal(0, 1, 400)
    trending = 20 + 0.5 * np.arange(400) + rng.normal(0, 1, 400)
    state = fit(np.stack([flat, trending]))
    assert state.model[1] in (Model.HOLT, Model.DAMPED)
    point, _, _ = forecast(state, 10)
    assert abs(point[0, -1] - 20) < 1.0  # the flat series stays flat
    assert abs(point[1, -1] - (20 + 0.5 * 409)) < 5


def test_constant_series_forecasts_the_constant_with_no_spread() -> None:
    state = fit(np.full((3, 50), 7.5))
    point, lower, upper = forecast(state, 5)
    np.testing.assert_allclose(point, 7.5)
    np.testing.assert_allclose(upper - lower, 0.0)
    assert state.model == [Model.SES] * 3  # the fewest parameters when every model fits exactly


def test_gaps_are_filled_and_an_empty_series_gives_nan() -> None:
    y = _series(9, n=4, length=120)
    y[0, 30:40] = np.nan
    y[1, :5] = np.inf
    y[2] = np.nan
    filled, empty = fill_gaps(y)
    assert empty.tolist() == [False, False, True, False]
    np.testing.assert_allclose(filled[0, 30:40], np.linspace(filled[0, 29], filled[0, 40], 12)[1:-1])
    np.testing.assert_allclose(filled[1, :5], y[1, 5])
    state = fit(y)
    point, lower, upper = forecast(state, 6)
    assert np.isfinite(point[[0, 1, 3]]).all() and np.isfinite(upper[[0, 1, 3]]).all()
    assert np.isnan(point[2]).all() and np.isnan(lower[2]).all()
    np.testing.assert_allclose(point[3], forecast(fit(y[3:4]), 6)[0][0])  # rows do not affect each other


def test_short_and_empty_inputs() -> None:
    state = fit(np.array([[1.0, 2.0, 3.0, 4.0]]))
    point, _, _ = forecast(state, 2)
    assert np.isfinite(point).all()
    with pytest.raises(ValueError, match="at least 4"):
        fit(np.array([[1.0, 2.0, 3.0]]))
    empty = fit(np.empty((0, 100)))
    assert empty.model == [] and forecast(empty, 3)[0].shape == (0, 3)


def test_large_offsets_do_not_change_the_fit() -> None:
    """The float32 search runs on scaled differences, so a 1e9 offset changes nothing but the level."""
    y = _series(11, n=8)
    near, far = fit(y), fit(y + 1e9)
    np.testing.assert_allclose(far.alpha, near.alpha, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(far.level - 1e9, near.level, rtol=1e-6, atol=1e-3)


def _nab_series(limit: int) -> list[np.ndarray]:
    series = []
    for path in sorted(NAB_DIR.glob("*.csv"))[:limit]:
        with path.open() as handle:
            series.append(np.array([float(row["value"]) for row in csv.DictReader(handle)]))
    return series


@pytest.mark.skipif(not NAB_DIR.is_dir(), reason="../shared/data/nab is not present next to the repository")
def test_fitted_error_is_no_worse_than_statsmodels_on_nab() -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    worse = []
    for y in _nab_series(4):
        y = y[:1000]
        ours = fit(y[None, :], models=(Model.HOLT,)).sse[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = ExponentialSmoothing(y, trend="add", initialization_method="estimated").fit()
        theirs = float(np.sum((y - reference.fittedvalues) ** 2))
        worse.append(ours / theirs)
    assert max(worse) <= 1.03, worse  # a grid search against a full optimiser: within 3 %


# additive seasonality: (statsmodels trend, damped, our model)
SEASONAL_VARIANTS = [(None, False, Model.SES_SEASONAL), ("add", False, Model.HOLT_SEASONAL),
                     ("add", True, Model.DAMPED_SEASONAL)]  # fmt: skip


def _seasonal(seed: int, n: int, length: int, period: int, amplitude: float = 5.0) -> np.ndarray:
    """Local level (random walk) + a fixed daily shape + noise."""
    rng = np.random.default_rng(seed)
    shape = amplitude * np.sin(2 * np.pi * np.arange(length) / period + rng.uniform(0, 2 * np.pi, (n, 1)))
    return 50 + np.cumsum(rng.normal(0, 0.3, (n, length)), axis=1) + shape + rng.normal(0, 1, (n, length))


@pytest.mark.parametrize(("trend", "damped", "model"), SEASONAL_VARIANTS)
def test_same_seasonal_parameters_give_statsmodels_forecasts(trend: str | None, damped: bool, model: Model) -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    period, horizon = 12, 40
    y = _seasonal(17, 1, 150, period)[0]
    alpha, beta, gamma, phi = 0.4, (0.1 if trend else 0.0), 0.15, PHI[model]
    season = 5 * np.sin(2 * np.pi * np.arange(period) / period)
    known = {"initial_level": 50.0, "initial_seasonal": season} | ({"initial_trend": 0.1} if trend else {})
    reference = ExponentialSmoothing(y, trend=trend, damped_trend=damped, seasonal="add", seasonal_periods=period,
                                     initialization_method="known", **known).fit(
        smoothing_level=alpha, smoothing_seasonal=gamma, optimized=False,
        **({"smoothing_trend": beta} if trend else {}), **({"damping_trend": phi} if damped else {}),
    )  # fmt: skip
    init = (np.array([50.0]), np.array([0.1 if trend else 0.0]), season[None])
    one = np.array
    _, level, slope, ahead = ets_seasonal.run(y[None], one([alpha]), one([beta]), one([gamma]), one([phi]), init)
    state = Fit([model], one([alpha]), one([beta]), one([phi]), level, slope, one([1.0]), one([0.0]), one([0.0]),
                period=period, gamma=one([gamma]), season=ahead)  # fmt: skip
    point, _, _ = forecast(state, horizon)
    # statsmodels 0.15 uses the seasonal from before the last update at h = m, 2m, ... (statsmodels
    # issue #9538); elsewhere the forecasts agree, and there ours uses the updated one
    steps = np.arange(1, horizon + 1)
    other = steps % period != 0
    np.testing.assert_allclose(point[0, other], reference.forecast(horizon)[other], rtol=1e-10, atol=1e-9)
    at_period = level[0] + np.cumsum(phi**steps) * slope[0] + reference.season[-1]
    np.testing.assert_allclose(point[0, ~other], at_period[~other], rtol=1e-10)


def test_seasonal_fit_reports_the_error_and_state_of_its_parameters() -> None:
    period = 24
    y = _seasonal(19, 6, 240, period)
    state = fit(y, period=period)
    assert all(m in SEASONAL_OF for m in state.model)
    assert state.initial_season is not None and state.gamma is not None and state.initial_level is not None
    assert state.initial_trend is not None and state.season is not None
    init = (state.initial_level, state.initial_trend, state.initial_season)
    fitted, level, _, ahead = ets_seasonal.run(y, state.alpha, state.beta, state.gamma, state.phi, init)
    np.testing.assert_allclose(state.sse, np.sum((y - fitted) ** 2, axis=1), rtol=1e-10)
    np.testing.assert_allclose(state.level, level, rtol=1e-10)
    np.testing.assert_allclose(state.season, ahead, rtol=1e-10, atol=1e-10)


def test_aicc_chooses_seasonal_models_for_seasonal_series_only() -> None:
    period, length = 24, 480
    seasonal = _seasonal(23, 20, length, period)
    rng = np.random.default_rng(29)
    plain = 50 + np.cumsum(rng.normal(0, 0.3, (20, length)), axis=1) + rng.normal(0, 1, (20, length))
    state = fit(np.concatenate([seasonal, plain]), period=period)
    chosen = np.array([m in SEASONAL_OF for m in state.model])
    assert chosen[:20].all(), state.model[:20]
    assert not chosen[20:].any(), state.model[20:]
    assert state.gamma is not None and np.all(state.gamma[20:] == 0)


def test_seasonal_models_need_a_period_and_two_full_periods() -> None:
    period = 24
    y = _seasonal(31, 4, 2 * period, period, amplitude=10.0)
    assert candidates(ALL_MODELS, 2 * period - 1, period) == NON_SEASONAL
    assert candidates(ALL_MODELS, 2 * period, period) == ALL_MODELS
    assert candidates(ALL_MODELS, 1000, None) == NON_SEASONAL
    short, without = fit(y[:, :-1], period=period), fit(y)
    assert not any(m in SEASONAL_OF for m in short.model + without.model)
    assert short.period is None and without.season is None
    np.testing.assert_allclose(without.sse, fit(y, models=NON_SEASONAL).sse)
    with pytest.raises(ValueError, match="no candidate"):
        fit(y[:, :-1], models=(Model.HOLT_SEASONAL,), period=period)


def test_seasonal_interval_coverage() -> None:
    """Beyond one period, so the gamma term of the h-step variance counts."""
    period, length, horizon = 24, 240, 36
    y = _seasonal(37, 300, length + horizon, period)
    state = fit(y[:, :length], models=tuple(SEASONAL_OF), period=period)
    _, lower, upper = forecast(state, horizon)
    coverage = ((y[:, length:] >= lower) & (y[:, length:] <= upper)).mean()
    assert 0.88 <= coverage <= 0.99, coverage


def test_seasonal_variance_adds_gamma_once_per_period() -> None:
    period = 4
    one = np.array
    state = Fit([Model.HOLT_SEASONAL], one([0.3]), one([0.2]), one([1.0]), one([0.0]), one([0.0]), one([2.0]),
                one([0.0]), one([0.0]), period=period, gamma=one([0.5]), season=np.zeros((1, period)))  # fmt: skip
    sd = forecast_sd(state, 10)[0]
    c = 0.3 * (1 + 0.2 * np.arange(1, 10)) + 0.5 * (np.arange(1, 10) % period == 0)
    expected = np.sqrt(2.0 * (1 + np.concatenate([[0.0], np.cumsum(c**2)])))
    np.testing.assert_allclose(sd, expected, rtol=1e-12)

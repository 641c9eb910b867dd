"""The vectorised ETS forecaster against statsmodels, on synthetic and real (NAB) series."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from agents.ets_forecaster import Model, fit, forecast, run
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
    from agents.ets_forecaster import Fit

    state = Fit([Model.HOLT], np.array([alpha]), np.array([beta]), np.array([phi]), level, trend,
                np.array([1.0]), np.array([0.0]), np.array([0.0]))  # fmt: skip
    point, _, _ = forecast(state, 24)
    np.testing.assert_allclose(point[0], reference.forecast(24), rtol=1e-9, atol=1e-8)


def test_interval_coverage_on_random_walk_with_drift() -> None:
    rng = np.random.default_rng(11)
    n, length, horizon = 400, 300, 5
    y = np.cumsum(rng.normal(0.1, 1.0, (n, length + horizon)), axis=1)
    state = fit(y[:, :length])
    _, lower, upper = forecast(state, horizon)
    inside = (y[:, length:] >= lower) & (y[:, length:] <= upper)
    coverage = inside.mean()
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

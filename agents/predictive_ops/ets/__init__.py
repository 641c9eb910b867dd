"""Vectorised ETS (exponential smoothing) forecasting: model search, seasonal variants, forecasts with intervals."""

from agents.predictive_ops.ets.forecaster import ALL_MODELS, SEASONAL_OF, Model, daily_period, fit, forecast

__all__ = ["ALL_MODELS", "SEASONAL_OF", "Model", "daily_period", "fit", "forecast"]

"""Fit + 24-step forecast speed: our vectorised ETS vs statsmodels ExponentialSmoothing, same run.

    python bench/forecast_speed.py [--series 10000] [--points 1000] [--sample 100]

statsmodels fits one series at a time; it is timed on ``--sample`` series and scaled to the whole set.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.ets_forecaster import Model, fit, forecast


def synthetic(series: int, points: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    level = rng.uniform(10, 80, (series, 1))
    drift = rng.normal(0, 0.02, (series, 1))
    daily = rng.uniform(0, 10, (series, 1)) * np.sin(2 * np.pi * t / 288)
    return level + drift * t + daily + rng.normal(0, 2, (series, points))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    print(f"# forecast speed on {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
          f"numpy {np.__version__}): {args.series:,} series x {args.points:,} points, 24-step forecast")  # fmt: skip
    y = synthetic(args.series, args.points)
    for models, label in (
        ((Model.HOLT,), "Holt only"),
        ((Model.SES, Model.HOLT, Model.DAMPED), "SES+Holt+damped, AICc"),
    ):
        started = time.perf_counter()
        state = fit(y, models=models)
        forecast(state, 24)
        ours = time.perf_counter() - started
        print(f"ours ({label}): {ours:.2f} s for {args.series:,} series ({1e3 * ours / args.series:.3f} ms/series)")
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in y[: args.sample]:
            ExponentialSmoothing(row, trend="add", initialization_method="estimated").fit().forecast(24)
    per_series = (time.perf_counter() - started) / args.sample
    scaled = per_series * args.series
    print(f"statsmodels ExponentialSmoothing(trend='add'): {1e3 * per_series:.1f} ms/series, "
          f"{scaled:.0f} s scaled to {args.series:,} series")  # fmt: skip
    print(f"speed-up of the full model choice over statsmodels' Holt alone: {scaled / ours:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit + 24-step forecast speed and accuracy: our vectorised ETS vs statsmodels and statsforecast, same run.

    python bench/forecast_speed.py [--series 10000] [--points 1000] [--sample 100] [--repeats 3]
                                   [--seasonal-series 1000] [--seasonal-sample 10] [--sf-sample 300]

Three workloads, each timed for ours and for statsmodels on the same data:
  Holt only:            fit additive-trend Holt, forecast 24 steps;
  SES + Holt + damped:  fit all three, keep the lowest AICc per series, forecast 24 steps;
  with daily seasonal:  the three and their additive seasonal variants (period 288, the synthetic
                        series' daily cycle), lowest AICc, forecast 24 steps; on the first
                        ``--seasonal-series`` series (statsmodels on ``--seasonal-sample``), as both
                        sides take far longer per series.
statsmodels fits one series at a time, so it is timed on ``--sample`` series and scaled to the whole set.
Its fits are its own ("estimated" initial state, damping estimated); ours fix the initial state from a
line through the first points and the damping at 0.95, as the product does. Ours is the median of
``--repeats`` runs after an untimed warm-up; the references also get one untimed call first.
Every series has 24 more points than are fitted; each method's MASE on them (mean absolute error over
the in-sample mean absolute one-step naive error, median over the series it forecast) is printed beside
its speed, on the same series.

Nixtla's statsforecast AutoETS (model "AZN": additive errors, trend none / additive / damped chosen by
AICc, no season: the same three candidates as ours) is timed on the first ``--sf-sample`` series of
the second workload and scaled; its first call (compilation and caches) is timed apart.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

# One BLAS thread for both sides, set before numpy loads: ours is elementwise and single-threaded, and
# statsmodels' optimiser with a threaded BLAS on a busy machine spends its time spinning, which would
# flatter the ratio.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.predictive_ops.ets import ALL_MODELS, SEASONAL_OF, Model, fit, forecast  # noqa: E402

HORIZON = 24
PERIOD = 288
WORKLOADS = {
    "Holt only": ((Model.HOLT,), None),
    "SES + Holt + damped, AICc": ((Model.SES, Model.HOLT, Model.DAMPED), None),
    "SES + Holt + damped and their seasonal variants (m = 288), AICc": (ALL_MODELS, PERIOD),
}
SEASONAL_OPTIONS = {"seasonal": "add", "seasonal_periods": PERIOD}


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray) -> float:
    """Median over rows of mean |actual - predicted| / mean |one-step naive error in train|."""
    scale = np.mean(np.abs(np.diff(train, axis=-1)), axis=-1)
    return float(np.median(np.mean(np.abs(actual - predicted), axis=-1) / np.where(scale > 0, scale, 1.0)))


def synthetic(series: int, points: int, seed: int = 1) -> np.ndarray:
    """Level + small drift + a daily cycle (288 samples) + noise, different per series."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    level = rng.uniform(10, 80, (series, 1))
    drift = rng.normal(0, 0.02, (series, 1))
    daily = rng.uniform(0, 10, (series, 1)) * np.sin(2 * np.pi * t / 288)
    return level + drift * t + daily + rng.normal(0, 2, (series, points))


def statsmodels_fit(row: np.ndarray, models: tuple[Model, ...]) -> np.ndarray:
    """statsmodels' fits of ``models`` on one series; the 24-step forecast of the lowest AICc."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    options: dict[Model, dict[str, object]] = {
        Model.SES: {},
        Model.HOLT: {"trend": "add"},
        Model.DAMPED: {"trend": "add", "damped_trend": True},
    }
    options |= {seasonal: options[base] | SEASONAL_OPTIONS for seasonal, base in SEASONAL_OF.items()}
    fits = [ExponentialSmoothing(row, initialization_method="estimated", **options[m]).fit() for m in models]
    return min(fits, key=lambda result: result.aicc).forecast(HORIZON)  # type: ignore[no-any-return]


def per_series(rows: np.ndarray, one: Callable[[np.ndarray], object]) -> float:
    """Mean seconds per series of ``one`` over ``rows``, after one untimed call (imports, caches)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one(rows[-1])
        started = time.perf_counter()
        for row in rows:
            one(row)
        return (time.perf_counter() - started) / len(rows)


def statsforecast_run(rows: np.ndarray) -> tuple[float, float, np.ndarray] | None:
    """Return (seconds of the first call, seconds per series after it, forecasts) for statsforecast
    AutoETS("AZN") on ``rows``, or None when statsforecast is not installed."""
    try:
        auto_ets = importlib.import_module("statsforecast.models").AutoETS
    except ImportError:
        return None

    def one(row: np.ndarray) -> np.ndarray:
        return np.asarray(auto_ets(season_length=1, model="AZN").forecast(y=row, h=HORIZON)["mean"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        one(rows[0])
        first = time.perf_counter() - started
        started = time.perf_counter()
        predicted = np.stack([one(row) for row in rows])
    return first, (time.perf_counter() - started) / len(rows), predicted


def statsforecast_line(
    everything: np.ndarray, future: np.ndarray, ours: float, ours_forecast: np.ndarray, series: int, sample: int
) -> None:
    """Print statsforecast AutoETS' speed (scaled to ``series``) and MASE on its first ``sample`` series."""
    found = statsforecast_run(everything[:sample])
    if found is None:
        print("  statsforecast: not installed (pip install -r requirements-dev.txt), not timed")
        return
    first, each, predicted = found
    print(f"  statsforecast AutoETS('AZN'): {each * series:8.1f} s scaled from {sample} series "
          f"({1e3 * each:.2f} ms/series, first call {first:.2f} s apart); "
          f"MASE {mase(future[:sample], predicted, everything[:sample]):.3f}, ours on those "
          f"{mase(future[:sample], ours_forecast[:sample], everything[:sample]):.3f}")  # fmt: skip
    print(f"  speed-up over statsforecast: {each * series / ours:8.0f}x")


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo where there is one, else what the platform module says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seasonal-series", type=int, default=1_000)
    parser.add_argument("--seasonal-sample", type=int, default=10)
    parser.add_argument("--sf-sample", type=int, default=300)
    args = parser.parse_args()
    print(f"# forecast speed on {platform.node()} ({platform.machine()}, {cpu_name()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}): "
          f"{args.series:,} series x {args.points:,} points, fit + {HORIZON}-step forecast, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")  # fmt: skip
    both = synthetic(args.series, args.points + HORIZON)
    everything, future = both[:, : args.points], both[:, args.points :]
    fit(everything[:100])
    fit(everything[:10], period=PERIOD)
    for label, (models, period) in WORKLOADS.items():
        count, sampled = (args.series, args.sample) if period is None else (args.seasonal_series, args.seasonal_sample)
        y, sample = everything[:count], everything[:sampled]
        runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            ours_forecast = forecast(fit(y, models=models, period=period), HORIZON)[0]
            runs.append(time.perf_counter() - started)
        ours = statistics.median(runs)
        predicted_by_them: list[np.ndarray] = []

        def theirs_one(
            row: np.ndarray, models: tuple[Model, ...] = models, out: list[np.ndarray] = predicted_by_them
        ) -> None:
            out.append(statsmodels_fit(row, models))

        theirs = per_series(sample, theirs_one) * count
        them = np.stack(predicted_by_them[1:])  # the first is the untimed warm-up call
        print(f"\n{label}:")
        print(f"  ours:        {ours:8.3f} s for {count:,} series ({1e6 * ours / count:.1f} us/series; "
              f"runs {', '.join(f'{r:.3f}' for r in runs)} s); MASE {mase(future[:count], ours_forecast, y):.3f}, "
              f"on the statsmodels sample {mase(future[:sampled], ours_forecast[:sampled], sample):.3f}")  # fmt: skip
        print(f"  statsmodels: {theirs:8.1f} s scaled from {sampled} series "
              f"({1e3 * theirs / count:.1f} ms/series); MASE {mase(future[:sampled], them, sample):.3f}")  # fmt: skip
        print(f"  speed-up:    {theirs / ours:8.0f}x")
        if models == WORKLOADS["SES + Holt + damped, AICc"][0]:
            statsforecast_line(everything, future, ours, ours_forecast, args.series, args.sf_sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

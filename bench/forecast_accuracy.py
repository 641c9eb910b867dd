"""Forecast accuracy (MASE) at 1 h and 24 h on the NAB AWS series: ours vs naive, seasonal naive, statsmodels Holt.

    python bench/forecast_accuracy.py [--origins 8]

Rolling origins in the second half of each file; each method sees the 1,000 samples before the origin.
MASE = mean absolute error / in-sample mean absolute one-step naive error. Median over all forecasts.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.ets_forecaster import fit, forecast

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nab" / "realAWSCloudwatch"
HORIZONS = {"1 h (12 steps)": 12, "24 h (288 steps)": 288}
SEASON = 288
HISTORY = 1000


def load() -> list[np.ndarray]:
    series = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open() as handle:
            series.append(np.array([float(row["value"]) for row in csv.DictReader(handle)]))
    return series


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origins", type=int, default=8)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"needs {DATA}")
        return 1
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    print(f"# forecast accuracy on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    errors: dict[str, dict[str, list[float]]] = {h: {} for h in HORIZONS}
    longest = max(HORIZONS.values())
    for y in load():
        if len(y) < HISTORY + longest + SEASON:
            continue
        origins = np.linspace(max(HISTORY, len(y) // 2), len(y) - longest, args.origins).astype(int)
        windows = np.stack([y[o - HISTORY : o] for o in origins])
        point, _, _ = forecast(fit(windows), longest)
        for i, origin in enumerate(origins):
            train = windows[i]
            scale = np.mean(np.abs(np.diff(train))) or 1.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                holt = (
                    ExponentialSmoothing(train, trend="add", initialization_method="estimated").fit().forecast(longest)
                )
            candidates = {
                "OpsForge ETS": point[i],
                "naive": np.full(longest, train[-1]),
                "seasonal naive (1 day)": np.resize(train[-SEASON:], longest),
                "statsmodels Holt": holt,
            }
            for label, steps in HORIZONS.items():
                actual = y[origin : origin + steps]
                for method, predicted in candidates.items():
                    mase = float(np.mean(np.abs(actual - predicted[:steps])) / scale)
                    errors[label].setdefault(method, []).append(mase)
    for label, methods in errors.items():
        print(f"\nmedian MASE at {label}, {len(next(iter(methods.values())))} forecasts:")
        for method, values in sorted(methods.items(), key=lambda item: np.median(item[1])):
            print(f"  {method:24} {np.median(values):7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Forecast accuracy (MASE) at 1 h and 24 h on the NAB AWS series: ours vs naive, seasonal naive, statsmodels.

    python bench/forecast_accuracy.py [--origins 8]

Rolling origins in the second half of each file; each method sees the 1,000 samples before the origin.
MASE = mean absolute error / in-sample mean absolute one-step naive error. Median over all forecasts.
Ours runs twice: without a period (SES / Holt / damped by AICc) and with the daily period (288 samples
at 5 minutes), where the seasonal variants join the AICc choice; statsmodels runs Holt and additive
Holt-Winters (trend and seasonal additive, period 288). 95 % interval coverage is printed for ours.
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

from agents.predictive_ops.ets import fit, forecast

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
    coverage: dict[str, dict[str, list[float]]] = {h: {} for h in HORIZONS}
    chosen: list[str] = []
    longest = max(HORIZONS.values())
    for y in load():
        if len(y) < HISTORY + longest + SEASON:
            continue
        origins = np.linspace(max(HISTORY, len(y) // 2), len(y) - longest, args.origins).astype(int)
        windows = np.stack([y[o - HISTORY : o] for o in origins])
        plain = forecast(fit(windows), longest)
        state = fit(windows, period=SEASON)
        seasonal = forecast(state, longest)
        chosen.extend(m.value for m in state.model)
        for i, origin in enumerate(origins):
            train = windows[i]
            scale = np.mean(np.abs(np.diff(train))) or 1.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                holt = (
                    ExponentialSmoothing(train, trend="add", initialization_method="estimated").fit().forecast(longest)
                )
                winters = (
                    ExponentialSmoothing(
                        train, trend="add", seasonal="add", seasonal_periods=SEASON, initialization_method="estimated"
                    )
                    .fit()
                    .forecast(longest)
                )
            candidates = {
                "OpsForge ETS": plain[0][i],
                "OpsForge ETS + daily": seasonal[0][i],
                "naive": np.full(longest, train[-1]),
                "seasonal naive (1 day)": np.resize(train[-SEASON:], longest),
                "statsmodels Holt": holt,
                "statsmodels Holt-Winters": winters,
            }
            for label, steps in HORIZONS.items():
                actual = y[origin : origin + steps]
                for method, predicted in candidates.items():
                    mase = float(np.mean(np.abs(actual - predicted[:steps])) / scale)
                    errors[label].setdefault(method, []).append(mase)
                for method, (_point, lower, upper) in (("OpsForge ETS", plain), ("OpsForge ETS + daily", seasonal)):
                    inside = (actual >= lower[i, :steps]) & (actual <= upper[i, :steps])
                    coverage[label].setdefault(method, []).append(float(inside.mean()))
    for label, methods in errors.items():
        print(f"\nmedian MASE at {label}, {len(next(iter(methods.values())))} forecasts:")
        for method, values in sorted(methods.items(), key=lambda item: np.median(item[1])):
            print(f"  {method:24} {np.median(values):7.3f}")
        for method, shares in coverage[label].items():
            print(f"  95 % interval coverage, {method}: {np.mean(shares):.3f}")
    counts = {model: chosen.count(model) for model in sorted(set(chosen))}
    print(f"\nmodels chosen with the daily period, {len(chosen)} windows: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

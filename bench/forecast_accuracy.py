"""Forecast accuracy: time-to-full against Prometheus' predict_linear, risk reliability, and MASE on NAB.

    python bench/forecast_accuracy.py [--origins 8] [--cases 40] [--seed 1] [--nab PATH]

Time-to-full (ETA) on synthetic filling resources (`bench/fill_shapes.py`: two shapes the method was
built against, eight held out), ``--cases`` per shape: OpsForge's fill since the last clean-up against
``predict_linear`` over 1 h, 6 h and 24 h windows on the same day of history. The error is |ETA - the
time the series itself first reaches 90 %|, in hours, over cases that reach it within a week; a method
that gives no ETA for such a case scores an infinite error (it counts against its median). The 95 %
interval's coverage is printed for ours. The reliability table buckets the probability a risk states
(reaching the limit within 24 h for the fill; within the 60-step ETS forecast for the ETS risk) against
how often that happened.

MASE on NAB's AWS series (needs the NAB corpus: ``--nab`` or ``../shared/data/nab``):

Rolling origins in the second half of each file; each method sees the 1,000 samples before the origin.
MASE = mean absolute error / in-sample mean absolute one-step naive error. Median over all forecasts.
Ours runs twice: without a period (SES / Holt / damped by AICc) and with the daily period (288 samples
at 5 minutes), where the seasonal variants join the AICc choice; statsmodels runs Holt and additive
Holt-Winters (trend and seasonal additive, period 288). 95 % interval coverage is printed for ours.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import platform
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.predictive_ops.ets import fit, forecast
from agents.predictive_ops.exhaustion import fit_exhaustion, predict_linear_eta
from agents.predictive_ops.risks import crossing
from bench.fill_shapes import DEV_SHAPES, HELD_OUT_SHAPES, LIMIT, STEP_S, first_crossing_s
from bench.fill_shapes import HISTORY as FILL_HISTORY

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nab"
HORIZONS = {"1 h (12 steps)": 12, "24 h (288 steps)": 288}
SEASON = 288
HISTORY = 1000


def load(corpus: Path) -> list[np.ndarray]:
    series = []
    for path in sorted((corpus / "realAWSCloudwatch").glob("*.csv")):
        with path.open() as handle:
            series.append(np.array([float(row["value"]) for row in csv.DictReader(handle)]))
    return series


WINDOWS_H = (1, 6, 24)  # predict_linear ranges operators write: [1h], [6h], [1d]
RISK_HORIZON_S = 24 * 3600
ETS_STEPS = 60
BUCKETS = np.linspace(0, 1, 11)


def eta_errors(shapes: dict[str, Callable[[np.random.Generator], np.ndarray]], cases: int, seed: int) -> None:
    """Print, per shape, each method's median |ETA error| (h), share within 20 % of the lead, ours' coverage."""
    methods = ["OpsForge fill since clean-up", *(f"predict_linear [{w}h]" for w in WINDOWS_H)]
    pooled: dict[str, list[float]] = {m: [] for m in methods}
    print(f"  {'shape':26} {'cases':>5}  " + "  ".join(f"{m:>28}" for m in methods) + "  coverage")
    for offset, (name, make) in enumerate(shapes.items()):
        rng = np.random.default_rng([seed, offset])
        errors: dict[str, list[float]] = {m: [] for m in methods}
        covered = 0
        for _ in range(cases):
            path = make(rng)
            truth = first_crossing_s(path)
            if truth is None:
                continue
            t, y = STEP_S * np.arange(FILL_HISTORY, dtype=np.float64), path[:FILL_HISTORY]
            fill = fit_exhaustion(t, y, LIMIT)
            estimates = [None if fill is None else fill.eta_s]
            estimates += [predict_linear_eta(t, y, LIMIT, w * 3600.0) for w in WINDOWS_H]
            for method, eta in zip(methods, estimates, strict=True):
                errors[method].append(np.inf if eta is None else abs(eta - truth) / 3600)
            if fill is not None:
                covered += (fill.eta_low_s or 0.0) <= truth <= (fill.eta_high_s or np.inf)
        n = len(errors[methods[0]])
        cells = [f"{np.median(errors[m]):8.2f} h" for m in methods]
        print(f"  {name:26} {n:5d}  " + "  ".join(f"{c:>28}" for c in cells) + f"  {covered / max(n, 1):8.2f}")
        for m in methods:
            pooled[m].extend(errors[m])
    cells = [f"{np.median(pooled[m]):8.2f} h" for m in methods]
    print(f"  {'all of these':26} {len(pooled[methods[0]]):5d}  " + "  ".join(f"{c:>28}" for c in cells))
    means = [f"{np.mean(np.minimum(pooled[m], 168)):8.2f} h" for m in methods]
    print(f"  {'mean, misses as 168 h':26} {'':5}  " + "  ".join(f"{c:>28}" for c in means))


def reliability(cases: int, seed: int) -> None:
    """Print predicted-probability buckets against observed frequencies for the fill and the ETS risk."""
    rows: dict[str, list[tuple[float, bool]]] = {"fill, 24 h": [], f"ETS, {ETS_STEPS} steps": []}
    histories: list[np.ndarray] = []
    outcomes: list[bool] = []
    shapes = {**DEV_SHAPES, **HELD_OUT_SHAPES}
    for offset, make in enumerate(shapes.values()):
        rng = np.random.default_rng([seed, 100 + offset])
        for _ in range(cases):
            path = make(rng)
            if path[FILL_HISTORY - 1] >= LIMIT:
                continue
            truth = first_crossing_s(path)
            t, y = STEP_S * np.arange(FILL_HISTORY, dtype=np.float64), path[:FILL_HISTORY]
            fill = fit_exhaustion(t, y, LIMIT)
            if fill is not None:
                reached = truth is not None and truth <= RISK_HORIZON_S
                rows["fill, 24 h"].append((fill.probability_by(LIMIT, RISK_HORIZON_S), reached))
            histories.append(y[-240:])
            outcomes.append(truth is not None and truth <= ETS_STEPS * STEP_S)
    point, lower, upper = forecast(fit(np.stack(histories)), ETS_STEPS)
    for i, outcome in enumerate(outcomes):
        rows[f"ETS, {ETS_STEPS} steps"].append((crossing(point[i], lower[i], upper[i], LIMIT).probability, outcome))
    for label, pairs in rows.items():
        p = np.array([a for a, _ in pairs])
        o = np.array([b for _, b in pairs], dtype=np.float64)
        print(f"\n  {label}: {len(pairs)} predictions, Brier {np.mean((p - o) ** 2):.4f}")
        print(f"    {'predicted':>11} {'count':>6} {'mean p':>7} {'observed':>9}")
        for low, high in itertools.pairwise(BUCKETS):
            inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
            if inside.any():
                count, mean, seen = int(inside.sum()), p[inside].mean(), o[inside].mean()
                print(f"    {low:4.1f}-{high:3.1f}  {count:6d} {mean:7.3f} {seen:9.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origins", type=int, default=8)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nab", type=Path, default=DATA, help="the NAB corpus (its data/ folder)")
    args = parser.parse_args()
    print(f"# forecast accuracy on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    print(f"\nmedian |ETA error| to {LIMIT:g} %, one day of history at one sample a minute, seed {args.seed}:")
    print(" shapes the method was built against:")
    eta_errors(DEV_SHAPES, args.cases, args.seed)
    print(" held-out shapes:")
    eta_errors(HELD_OUT_SHAPES, args.cases, args.seed)
    print("\nreliability (predicted probability -> observed frequency), all shapes:")
    reliability(args.cases, args.seed)
    if not (args.nab / "realAWSCloudwatch").is_dir():
        print(f"\nMASE on NAB: no corpus at {args.nab} (clone numenta/NAB and pass --nab NAB/data); skipped")
        return 0
    nab_mase(load(args.nab), args.origins)
    return 0


def nab_mase(series: list[np.ndarray], origins_per_file: int) -> None:
    """Print median MASE at 1 h and 24 h of ours, naive, seasonal naive and statsmodels on the NAB AWS files."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    errors: dict[str, dict[str, list[float]]] = {h: {} for h in HORIZONS}
    coverage: dict[str, dict[str, list[float]]] = {h: {} for h in HORIZONS}
    chosen: list[str] = []
    longest = max(HORIZONS.values())
    for y in series:
        if len(y) < HISTORY + longest + SEASON:
            continue
        origins = np.linspace(max(HISTORY, len(y) // 2), len(y) - longest, origins_per_file).astype(int)
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


if __name__ == "__main__":
    raise SystemExit(main())

"""NAB score of the PredictiveOps anomaly detector on every labelled file of a NAB corpus.

    python bench/nab_eval.py [CORPUS] [--labels LABELS.json] [--scorer nab_score.py]

CORPUS (default ../shared/data/nab) holds NAB's category folders and a labels.json naming the files
scored (the shared copy: 51 files in six categories, 97 windows). The CLI
(`python -m agents.predictive_ops nab IN OUT`) scores every file with one parameter set (only the
day's length in samples, for the seasonal evidence, is read from each file's timestamps); the NAB
scorer (../shared/tools/nab_score.py) then picks one threshold over the whole corpus in each of NAB's
three profiles, as the published figures do. Printed next to them:

* leave-one-category-out: for each category, the threshold is the one that maximises the summed raw
  score of the other categories; the held-out category is scored at it (normalised on its own
  windows) and the held-out raw scores are summed and normalised like the corpus score. Once with
  the default parameters (the threshold chosen per fold), once choosing ``seasonal_fit``, the one
  knob of the detector settled by looking at scores, from three values with the threshold.
* a windowed Gaussian (|z| against the trailing 288 samples) through the same scorer, and rows/s of
  both detectors in process, in the same run.
* the published detectors' standard scores on the same 51 files.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agents.predictive_ops import DetectorParams, scores  # noqa: E402
from agents.predictive_ops.__main__ import params_for  # noqa: E402

SHARED = REPO.parent / "shared"
NAB_COMMIT = "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140"
# Standard profile, threshold optimised over the same 51 files (the corpus README, from NAB's results/).
PUBLISHED = {"ARTime": 77.04, "contextOSE": 75.41, "numenta HTM": 72.97, "htm.java": 68.56}
SEASONAL_FIT = (0.25, 0.5, 1.0)  # the default and a factor of two either side
Detector = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def windowed_gaussian(y: NDArray[np.float64], window: int = 288) -> NDArray[np.float64]:
    """Reference detector: the two-sided Gaussian tail of y[t] against the trailing ``window`` samples,
    mapped to [0, 1) as 1 - 2^-(|z|/4) (0.5 at four standard deviations)."""
    n = len(y)
    x = np.nan_to_num(y)
    c1, c2 = np.r_[0.0, np.cumsum(x)], np.r_[0.0, np.cumsum(x * x)]
    t = np.arange(n)
    lo = np.maximum(0, t - window)
    count = np.maximum(t - lo, 1)
    mean = (c1[t] - c1[lo]) / count
    std = np.sqrt(np.maximum((c2[t] - c2[lo]) / count - mean**2, 1e-12))
    z = np.abs(x - mean) / std
    z[:48] = 0.0
    result: NDArray[np.float64] = 1.0 - 2.0 ** (-z / 4.0)
    return result


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def read_column(path: Path, column: str) -> NDArray[np.float64]:
    with path.open(newline="") as handle:
        return np.array([float(row[column]) for row in csv.DictReader(handle)])


def read_params(path: Path) -> DetectorParams:
    """The parameters the CLI scores this file with (the day's length from its timestamps)."""
    with path.open(newline="") as handle:
        return params_for([row["timestamp"] for row in csv.DictReader(handle)])


def run_cli(corpus: Path, files: list[str], results: Path) -> float:
    """Score every file through the CLI into results/<same relative path>; return the seconds taken."""
    started = time.perf_counter()
    for rel in files:
        target = results / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "agents.predictive_ops", "nab", str(corpus / rel), str(target)],
            cwd=REPO, check=True, capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - started


def run_scorer(scorer: Path, corpus: Path, labels: Path, results: Path) -> dict[str, Any]:
    """The NAB scorer's CLI on a results folder: per profile, the score at the optimised threshold."""
    out = results / "scores.json"
    done = subprocess.run(
        [sys.executable, str(scorer), "--data", str(corpus), "--labels", str(labels), "--results", str(results),
         "--json", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"nab_score failed ({done.returncode}): {done.stderr.strip()}")
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def leave_one_category_out(nab: ModuleType, corpus: list[Any], candidates: list[Any], profile: str) -> dict[str, Any]:
    """Per category: the candidate (rows of one parameter set) and threshold that maximise the summed raw
    score of the other categories, the held-out raw score with them and that score normalised on the
    category's windows (None without windows); plus the held-out raw scores' normalised sum."""
    weights = nab.PROFILES[profile]
    names = [series.rel.split("/")[0] for series in corpus]
    categories = sorted(set(names))
    row_category = np.array([categories.index(names[f]) for f in candidates[0].file])
    per: dict[str, tuple[int, float, float, float | None]] = {}
    total = 0.0
    for c, name in enumerate(categories):
        train = row_category != c
        best: tuple[float, int, float] | None = None
        for k, rows in enumerate(candidates):
            subset = nab.Rows(
                score=rows.score[train], shape=rows.shape[train], window=rows.window[train],
                file=rows.file[train], n_windows=rows.n_windows, n_labelled=rows.n_labelled,
            )  # fmt: skip
            curve = nab.sweep(subset, weights)
            i = int(np.argmax(curve.raw))
            if best is None or curve.raw[i] > best[0]:
                best = (float(curve.raw[i]), k, float(curve.threshold[i]))
        assert best is not None
        _, k, threshold = best
        raw = float(nab.raw_at_threshold(candidates[k], weights, threshold, row_category == c))
        windows = sum(len(series.windows) for series, n in zip(corpus, names, strict=True) if n == name)
        # A category's null detector misses all its windows; its perfect one hits each at the left edge.
        norm = nab.normalise(raw, -weights["fn"] * windows, weights["tp"] * windows) if windows else None
        per[name] = (k, threshold, raw, norm)
        total += raw
    null = nab.null_raw(candidates[0], weights)
    return {"categories": per, "sum": float(nab.normalise(total, null, weights["tp"] * candidates[0].n_labelled))}


def shown(norm: float | None, raw: float) -> str:
    """A held-out category's normalised score, or its raw score when it has no windows to normalise by."""
    return f"{norm:.2f}" if norm is not None else f"raw {raw:.2f}"


def throughput(detectors: list[Detector], values: list[NDArray[np.float64]]) -> tuple[list[NDArray[np.float64]], float]:
    """Each series' scores by its detector, and the rows per second of them all, in process."""
    started = time.perf_counter()
    result = [detector(v) for detector, v in zip(detectors, values, strict=True)]
    return result, sum(len(v) for v in values) / (time.perf_counter() - started)


def ours(params: DetectorParams) -> Detector:
    """The PredictiveOps detector with one file's parameters, rounded to the six decimals the CLI writes."""

    def detector(y: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = np.round(scores(y, params), 6)
        return result

    return detector


def missing(corpus: Path, labels: Path, scorer: Path) -> int:
    print(f"needs the NAB corpus at {corpus} (labels {labels}) and the scorer {scorer}.")
    print("To get NAB: git clone https://github.com/numenta/NAB && git -C NAB checkout " + NAB_COMMIT)
    print("then: python bench/nab_eval.py NAB/data --labels NAB/labels/combined_windows.json --scorer nab_score.py")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=SHARED / "data" / "nab")
    parser.add_argument("--labels", type=Path, help="default: CORPUS/labels.json")
    parser.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    args = parser.parse_args(argv)
    corpus, scorer = args.corpus.resolve(), args.scorer.resolve()
    labels = (args.labels or corpus / "labels.json").resolve()
    if not corpus.is_dir() or not labels.is_file() or not scorer.is_file():
        return missing(corpus, labels, scorer)
    nab = load_scorer(scorer)
    series = nab.load_corpus(corpus, json.loads(labels.read_text()))
    files = [s.rel for s in series]
    n_windows = sum(len(s.windows) for s in series)
    print(f"# NAB, {len(files)} files, {n_windows} windows, {corpus} on {platform.node()} "
          f"({platform.machine()}, Python {platform.python_version()})")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        elapsed = run_cli(corpus, files, results)
        print(f"CLI scored {len(files)} files in {elapsed:.1f} s (one parameter set for all)")
        figures = run_scorer(scorer, corpus, labels, results)
        cli_scores = [read_column(results / rel, "anomaly_score") for rel in files]
    values = [read_column(corpus / rel, "value") for rel in files]
    params = [read_params(corpus / rel) for rel in files]
    own, ours_rate = throughput([ours(p) for p in params], values)
    same = all(np.allclose(a, b, atol=1e-6) for a, b in zip(own, cli_scores, strict=True))
    gauss, gauss_rate = throughput([windowed_gaussian] * len(values), values)
    print(f"rows/s in process: PredictiveOps {ours_rate:,.0f} (CLI output identical: {same}), "
          f"windowed Gaussian {gauss_rate:,.0f}")  # fmt: skip
    rows = nab.build_rows(series, cli_scores)
    reference = nab.build_rows(series, gauss)
    print(f"\n{'profile':20} {'score':>6} {'threshold':>10} {'windows':>8} {'FP rows':>7}   "
          f"{'LOCO sum':>8}   {'Gaussian':>8} {'its LOCO':>8}")  # fmt: skip
    loco: dict[str, dict[str, Any]] = {}
    for profile, report in figures.items():
        loco[profile] = leave_one_category_out(nab, series, [rows], profile)
        base = nab.evaluate(series, reference, profile)
        base_loco = leave_one_category_out(nab, series, [reference], profile)
        print(
            f"{profile:20} {report['score']:6.2f} {report['threshold']:10.4f} "
            f"{report['windows_detected']:>3}/{report['windows']:<4} {report['fp_rows']:7}   "
            f"{loco[profile]['sum']:8.2f}   {base['score']:8.2f} {base_loco['sum']:8.2f}"
        )
    # The one detector knob set by looking at scores: how far the cycle must explain a series before the
    # seasonal evidence counts. Chosen again with each category held out, with the threshold.
    default = DetectorParams().seasonal_fit
    candidates = [
        rows
        if fit == default
        else nab.build_rows(series, throughput([ours(replace(p, seasonal_fit=fit)) for p in params], values)[0])
        for fit in SEASONAL_FIT
    ]
    chosen = leave_one_category_out(nab, series, candidates, "standard")
    print("\nleave-one-category-out, standard profile (chosen on the other five categories):")
    print(f"  {'held out':24} {'threshold':>9} {'normalised':>10}   {'seasonal_fit, threshold':>24} {'normalised':>10}")
    for name, (_, threshold, raw, norm) in loco["standard"]["categories"].items():
        k, knob_threshold, knob_raw, knob_norm = chosen["categories"][name]
        print(
            f"  {name:24} {threshold:9.4f} {shown(norm, raw):>10}   "
            f"{SEASONAL_FIT[k]:>14} {knob_threshold:9.4f} {shown(knob_norm, knob_raw):>10}"
        )
    print(f"  {'normalised sum':24} {loco['standard']['sum']:20.2f} {chosen['sum']:36.2f}"
          f"   (in-sample {figures['standard']['score']:.2f})")  # fmt: skip
    print("\npublished, standard profile, threshold optimised over the same 51 files:")
    for name, value in PUBLISHED.items():
        print(f"  {name:20} {value:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

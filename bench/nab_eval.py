"""NAB score of the PredictiveOps anomaly detector on the 17 AWS CloudWatch series of ../shared/data/nab.

    python bench/nab_eval.py

Runs the CLI (`python -m agents.predictive_ops nab`) on every file with one parameter set, scores the
results with ../shared/tools/nab_score.py (threshold optimised over the corpus, as for the published
figures) in the standard, reward-low-FP and reward-low-FN profiles, and prints them next to published
detectors. Then a leave-one-file-out check of how much of that is fitted to these 17 files: for each
file, the threshold (and, in the second variant, the parameter set from a small grid) is chosen on
the other 16 files and the held-out file is scored with it; the held-out raw scores are summed and
normalised like NAB's (null detector 0, perfect 100).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agents.predictive_ops import DetectorParams, scores  # noqa: E402

SHARED = REPO.parent / "shared"
DATA = SHARED / "data" / "nab"
SCORER = SHARED / "tools" / "nab_score.py"
PUBLISHED = {
    "Numenta HTM": 73.4, "contextOSE": 72.1, "ARTime": 69.9, "htm.java": 68.8, "random cut forest": 61.4,
    "relative entropy": 50.0, "Twitter ADVec": 38.5, "windowed Gaussian": 31.2,
}  # fmt: skip
# The grid the leave-one-out variant chooses from: the calibration of the shift evidence, the
# cool-down half-life and the span of the level evidence's fast median, each at the default and one
# step either side.
GRID = [
    replace(DetectorParams(), sigmas=sigmas, half_life=half_life, level_span=level_span)
    for sigmas in (2.5, 3.0, 3.5)
    for half_life in (72.0, 144.0, 288.0)
    for level_span in (3, 6, 12)
]


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def in_sample() -> dict[str, Any]:
    """CLI over every file, NAB scorer over the results: the published-style figures."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        started = time.perf_counter()
        for source in sorted((DATA / "realAWSCloudwatch").glob("*.csv")):
            target = results / "realAWSCloudwatch" / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "agents.predictive_ops", "nab", str(source), str(target)],
                cwd=REPO, check=True, capture_output=True,
            )  # fmt: skip
        print(f"CLI scored 17 files in {time.perf_counter() - started:.1f} s (one parameter set for all)")
        out = Path(tmp) / "scores.json"
        subprocess.run(
            [sys.executable, str(SCORER), "--data", str(DATA), "--labels", str(DATA / "labels.json"),
             "--results", str(results), "--json", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def leave_one_out(nab: ModuleType, corpus: list[Any], by_params: list[list[np.ndarray]], profile: str) -> float:
    """Held-out NAB score: threshold and parameter set chosen on the other files, summed over files."""
    weights = nab.PROFILES[profile]
    rows = [nab.build_rows(corpus, results) for results in by_params]
    files = rows[0].file
    total = 0.0
    for held in range(len(corpus)):
        best: tuple[float, int, float] | None = None
        for k, r in enumerate(rows):
            train = files != held
            sub = nab.Rows(
                score=r.score[train], shape=r.shape[train], window=r.window[train], file=r.file[train],
                n_windows=r.n_windows, n_labelled=r.n_labelled,
            )  # fmt: skip
            curve = nab.sweep(sub, weights)
            i = int(np.argmax(curve.raw))
            if best is None or curve.raw[i] > best[0]:
                best = (float(curve.raw[i]), k, float(curve.threshold[i]))
        assert best is not None
        _, k, threshold = best
        total += nab.raw_at_threshold(rows[k], weights, threshold, files == held)
    null = nab.null_raw(rows[0], weights)
    return float(nab.normalise(total, null, weights["tp"] * rows[0].n_labelled))


def main() -> int:
    if not DATA.is_dir() or not SCORER.is_file():
        print(f"needs {DATA} and {SCORER} (the shared folder beside the repository)")
        return 1
    print(f"# NAB realAWSCloudwatch on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    figures = in_sample()
    for profile, report in figures.items():
        print(
            f"OpsForge PredictiveOps, {profile:20}: {report['score']:6.1f}  (threshold {report['threshold']:.6g}, "
            f"windows hit {report['windows_detected']}/{report['windows']}, FP rows {report['fp_rows']})"
        )
    nab = load_scorer()
    corpus = nab.load_corpus(DATA, json.loads((DATA / "labels.json").read_text()))
    values = []
    for series in corpus:
        with (DATA / series.rel).open(newline="") as handle:
            values.append(np.array([float(row["value"]) for row in csv.DictReader(handle)]))
    started = time.perf_counter()
    by_params = [[scores(v, params) for v in values] for params in GRID]
    elapsed = time.perf_counter() - started
    default = GRID.index(DetectorParams())
    print(f"leave-one-file-out ({len(GRID)} parameter sets x 17 files scored in process in {elapsed:.1f} s):")
    for profile in figures:
        fixed = leave_one_out(nab, corpus, [by_params[default]], profile)
        chosen = leave_one_out(nab, corpus, by_params, profile)
        print(
            f"  {profile:20}: in-sample {figures[profile]['score']:5.1f}, held-out threshold {fixed:5.1f}, "
            f"held-out threshold and parameters {chosen:5.1f}"
        )
    print("published (standard profile, AWS set, in-sample threshold):")
    for name, value in PUBLISHED.items():
        print(f"  {name:20} {value:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""NAB score of the PredictiveOps anomaly detector on the 17 AWS CloudWatch series of ../shared/data/nab.

    python bench/nab_eval.py

Runs the CLI (`python -m agents.predictive_ops nab`) on every file with one parameter set, scores the
results with ../shared/tools/nab_score.py (threshold optimised, as for the published figures) in the
standard, reward-low-FP and reward-low-FN profiles, and prints them next to published detectors.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DATA = SHARED / "data" / "nab"
SCORER = SHARED / "tools" / "nab_score.py"
PUBLISHED = {
    "Numenta HTM": 73.4, "contextOSE": 72.1, "ARTime": 69.9, "htm.java": 68.8, "random cut forest": 61.4,
    "relative entropy": 50.0, "Twitter ADVec": 38.5, "windowed Gaussian": 31.2,
}  # fmt: skip


def main() -> int:
    if not DATA.is_dir() or not SCORER.is_file():
        print(f"needs {DATA} and {SCORER} (the shared folder beside the repository)")
        return 1
    print(f"# NAB realAWSCloudwatch on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
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
        print(f"scored 17 files in {time.perf_counter() - started:.1f} s (one parameter set for all)")
        out = Path(tmp) / "scores.json"
        subprocess.run(
            [sys.executable, str(SCORER), "--data", str(DATA), "--labels", str(DATA / "labels.json"),
             "--results", str(results), "--json", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        figures = json.loads(out.read_text())
    for profile, report in figures.items():
        print(
            f"OpsForge PredictiveOps, {profile:20}: {report['score']:6.1f}  (threshold {report['threshold']:.6g}, "
            f"windows hit {report['windows_detected']}/{report['windows']}, FP rows {report['fp_rows']})"
        )
    print("published (standard profile, AWS set):")
    for name, value in PUBLISHED.items():
        print(f"  {name:20} {value:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""CLI for offline work on NAB-format files (``timestamp,value``).

python -m agents.predictive_ops nab IN.csv OUT.csv     # writes timestamp,value,anomaly_score
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

from agents.predictive_ops.anomaly import DetectorParams, daily_period, scores


def params_for(timestamps: list[str]) -> DetectorParams:
    """Return the detector's parameters for a file with these timestamps: the defaults, with the day's
    length in samples taken from the intervals of the warm-up, so the seasonal evidence compares like
    with like whether a file is sampled every 5 minutes or every hour (and no later sample informs it)."""
    warm_up = DetectorParams().min_history
    seconds = np.array([datetime.fromisoformat(text).timestamp() for text in timestamps[: warm_up + 1]])
    return replace(DetectorParams(), period=daily_period(seconds))


def score_nab_file(source: Path, target: Path) -> int:
    """Score one NAB file causally; return the number of rows written."""
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    values = np.array([float(row["value"]) for row in rows])
    result = scores(values, params_for([row["timestamp"] for row in rows]))
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value", "anomaly_score"])
        for row, score in zip(rows, result, strict=True):
            writer.writerow([row["timestamp"], row["value"], f"{score:.6f}"])
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.predictive_ops")
    commands = parser.add_subparsers(dest="command", required=True)
    nab = commands.add_parser("nab", help="score a NAB file: timestamp,value -> timestamp,value,anomaly_score")
    nab.add_argument("source", type=Path)
    nab.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"no such file: {args.source}", file=sys.stderr)
        return 2
    count = score_nab_file(args.source, args.target)
    print(f"scored {count} rows -> {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

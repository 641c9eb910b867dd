"""CLI for offline work on NAB-format files (``timestamp,value``).

python -m agents.predictive_ops nab IN.csv OUT.csv     # writes timestamp,value,anomaly_score
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from agents.predictive_ops.anomaly import scores


def score_nab_file(source: Path, target: Path) -> int:
    """Score one NAB file causally; return the number of rows written."""
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    values = np.array([float(row["value"]) for row in rows])
    result = scores(values)
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

"""The NAB CLI: one output row per input row, and the day's length read from the warm-up's timestamps only."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from agents.predictive_ops.__main__ import main, params_for
from agents.predictive_ops.anomaly import DetectorParams, scores


def stamps(count: int, step: timedelta) -> list[str]:
    start = datetime(2014, 2, 14, 14, 27)
    return [(start + i * step).strftime("%Y-%m-%d %H:%M:%S") for i in range(count)]


def test_params_take_the_day_from_the_warm_up_intervals() -> None:
    assert params_for(stamps(500, timedelta(hours=1))).period == 24
    assert params_for(stamps(500, timedelta(minutes=5))).period == 288
    later = stamps(49, timedelta(minutes=5)) + stamps(400, timedelta(hours=1))  # what follows the warm-up
    assert params_for(later).period == 288
    assert params_for(stamps(500, timedelta(days=1))) == DetectorParams()  # no daily cycle to compare


def test_the_cli_scores_every_row_with_those_params(tmp_path: Path) -> None:
    values = 10 + np.random.default_rng(0).normal(0, 1, 600)
    times = stamps(600, timedelta(hours=1))
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value"])
        writer.writerows(zip(times, values, strict=True))
    assert main(["nab", str(source), str(target)]) == 0
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["timestamp"] for row in rows] == times
    expected = scores(np.array([float(row["value"]) for row in rows]), params_for(times))
    assert np.allclose([float(row["anomaly_score"]) for row in rows], expected, atol=1e-6)
    assert main(["nab", str(tmp_path / "absent.csv"), str(target)]) == 2

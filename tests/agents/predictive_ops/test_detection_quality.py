"""Matching anomaly flags to fault truth: detected, missed, pending, excluded events; true and false flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.predictive_ops.detection_quality import Flag, TruthWindow, evaluate

DAY = datetime(2026, 5, 1, tzinfo=UTC)
NOW = DAY.replace(hour=12)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


TRUTH = [
    TruthWindow("h1", "cpu", at(10), at(10, 30)),  # detected by the 10:05 flag
    TruthWindow("h1", "memory", at(10), None),  # still active, no flag: pending
    TruthWindow("h2", "cpu", at(10), at(10, 20)),  # ended, tolerance passed, no flag: missed
    TruthWindow("h3", "cpu", at(8), at(9)),  # began before h3/cpu was scored: not counted
    TruthWindow("h4", "cpu", at(11, 50), at(11, 55)),  # ended, but its tolerance runs until 12:10: pending
]
SCORED = {("h1", "cpu"): at(9), ("h1", "memory"): at(9), ("h2", "cpu"): at(9), ("h3", "cpu"): at(9, 30),
          ("h4", "cpu"): at(9)}  # fmt: skip
FLAGS = [
    Flag("h1", "cpu", at(10, 5), 0.7),  # true: inside the h1/cpu window
    Flag("h1", "cpu", at(10, 40), 0.6),  # true: within the 15 min tolerance after 10:30
    Flag("h1", "cpu", at(11), 0.6),  # false: after the tolerance
    Flag("h5", "disk", at(11), 0.9),  # false: no fault touched h5
    Flag("h3", "cpu", at(8, 30), 0.8),  # true: inside h3's (uncounted) window
    Flag("ext", "cpu", at(11), 0.9),  # a series the truth does not cover: not judged
    Flag("h1", "cpu", NOW - timedelta(days=2), 0.9),  # before the window: not judged
]


def covers(host: str, metric: str) -> bool:
    return host != "ext"


def test_matching_counts_and_ratios() -> None:
    q = evaluate(TRUTH, FLAGS, now=NOW, scored_since=SCORED, covers=covers)
    assert (q.detected, q.missed, q.pending, q.events) == (1, 1, 2, 2)
    assert (q.flags, q.true_flags) == (5, 3)
    assert q.precision == pytest.approx(3 / 5)
    assert q.recall == pytest.approx(1 / 2)
    assert q.f1 == pytest.approx(2 * 0.6 * 0.5 / 1.1)
    assert q.window_start == NOW - timedelta(hours=24) and q.window_end == NOW


def test_a_flag_before_onset_does_not_detect() -> None:
    early = [Flag("h2", "cpu", at(9, 59), 0.9)]
    q = evaluate([TRUTH[2]], early, now=NOW, scored_since=SCORED)
    assert (q.detected, q.missed, q.true_flags, q.precision, q.recall, q.f1) == (0, 1, 0, 0.0, 0.0, 0.0)


def test_nothing_yet_is_null() -> None:
    q = evaluate([], [], now=NOW, scored_since={})
    assert (q.events, q.flags, q.precision, q.recall, q.f1) == (0, 0, None, None, None)


def test_events_without_flags_score_zero_recall() -> None:
    q = evaluate([TRUTH[2]], [], now=NOW, scored_since=SCORED)
    assert (q.missed, q.precision, q.recall, q.f1) == (1, None, 0.0, 0.0)


def test_flags_without_events_leave_the_figure_null() -> None:
    q = evaluate([], [FLAGS[3]], now=NOW, scored_since=SCORED)
    assert (q.flags, q.precision, q.recall, q.f1) == (1, 0.0, None, None)


def test_window_and_tolerance_are_parameters() -> None:
    q = evaluate(TRUTH, FLAGS, now=NOW, scored_since=SCORED, covers=covers, tolerance=timedelta(minutes=5))
    assert q.true_flags == 2  # the 10:40 flag is now outside h1/cpu's window
    q = evaluate(TRUTH, FLAGS, now=NOW, scored_since=SCORED, covers=covers, window=timedelta(hours=1))
    assert (q.flags, q.events, q.pending) == (2, 0, 1)  # only 11:00 flags; only h4's onset is in the hour
    assert q.f1 is None

"""How well anomaly flags find real faults: precision and recall against a ground truth of metric effects.

Matching, stated once:

* A truth event is one fault's effect on one (host, metric), active from its onset until the fault
  ended. It is *detected* when a flag on that same host and metric falls in [onset, end + tolerance]
  (the tolerance admits the flag a recovery raises). It is *missed* once end + tolerance has passed
  without such a flag, and *pending* while it may still be detected (not counted either way).
* A flag inside any truth window of its series is a true flag; any other flag is a false flag
  (noise excursions, which the simulator records as no fault, count as false).
* Only events whose onset lies in the window, on a series that was already being scored at onset,
  count: a detector cannot be blamed for what happened before it could look.

Precision = true flags / flags; recall = detected / (detected + missed); F1 is their harmonic mean.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

WINDOW = timedelta(hours=24)
TOLERANCE = timedelta(minutes=15)

SeriesKey = tuple[str, str]


class TruthEvent(Protocol):
    @property
    def host(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime | None: ...


class TruthSource(Protocol):
    """Where ground truth comes from (the simulator); real sources have none."""

    def covers(self, host: str, metric: str) -> bool: ...
    def windows(self, since: datetime) -> Sequence[TruthEvent]: ...


@dataclass(frozen=True)
class TruthWindow:
    """A plain `TruthEvent`: one fault's effect on one (host, metric), ``end`` None while active."""

    host: str
    metric: str
    start: datetime
    end: datetime | None


class FixedTruth:
    """A `TruthSource` over a fixed list of windows covering every series (the fake that ships with the seam)."""

    def __init__(self, events: Sequence[TruthEvent]) -> None:
        self.events = list(events)

    def covers(self, host: str, metric: str) -> bool:
        return True

    def windows(self, since: datetime) -> Sequence[TruthEvent]:
        return self.events


@dataclass(frozen=True)
class Flag:
    """One anomaly flag as it was raised: the sample's series, time, score and value (None if not recorded)."""

    host: str
    metric: str
    time: datetime
    score: float
    value: float | None = None


@dataclass(frozen=True)
class DetectionQuality:
    """Counts and ratios over ``[window_start, window_end]``; a ratio is None when its denominator is 0."""

    window_start: datetime
    window_end: datetime
    tolerance: timedelta
    events: int
    detected: int
    missed: int
    pending: int
    flags: int
    true_flags: int
    precision: float | None
    recall: float | None
    f1: float | None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def evaluate(
    truth: Sequence[TruthEvent],
    flags: Sequence[Flag],
    *,
    now: datetime,
    scored_since: Mapping[SeriesKey, datetime],
    covers: Callable[[str, str], bool] = lambda host, metric: True,
    window: timedelta = WINDOW,
    tolerance: timedelta = TOLERANCE,
) -> DetectionQuality:
    """Return the detection quality of ``flags`` against ``truth`` over the ``window`` ending at ``now``.

    ``scored_since`` gives, per series, when flags began to be recorded for it; ``covers`` says which
    series the truth knows (flags elsewhere are not judged). F1 is None until an event is decided.
    """
    start = now - window
    by_series: dict[SeriesKey, list[datetime]] = {}
    for flag in flags:
        if start <= flag.time <= now and covers(flag.host, flag.metric):
            by_series.setdefault((flag.host, flag.metric), []).append(flag.time)
    for times in by_series.values():
        times.sort()
    windows: dict[SeriesKey, list[tuple[datetime, datetime]]] = {}
    detected = missed = pending = 0
    for event in truth:
        key = (event.host, event.metric)
        close = (event.end if event.end is not None else now) + tolerance
        windows.setdefault(key, []).append((event.start, close))
        since = scored_since.get(key)
        if event.start < start or since is None or event.start < since:
            continue
        times = by_series.get(key, [])
        first = bisect.bisect_left(times, event.start)
        if first < len(times) and times[first] <= close:
            detected += 1
        elif event.end is not None and close <= now:
            missed += 1
        else:
            pending += 1
    true_flags = sum(
        1 for key, times in by_series.items() for t in times if any(lo <= t <= hi for lo, hi in windows.get(key, ()))
    )
    n_flags = sum(len(times) for times in by_series.values())
    precision = _ratio(true_flags, n_flags)
    recall = _ratio(detected, detected + missed)
    f1 = None
    if recall is not None:
        f1 = 0.0 if not detected or not precision else 2 * precision * recall / (precision + recall)
    return DetectionQuality(
        window_start=start,
        window_end=now,
        tolerance=tolerance,
        events=detected + missed,
        detected=detected,
        missed=missed,
        pending=pending,
        flags=n_flags,
        true_flags=true_flags,
        precision=precision,
        recall=recall,
        f1=f1,
    )

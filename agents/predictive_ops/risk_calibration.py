"""Whether past risk predictions came true: outcomes when they come due, Brier score and hit rate.

A prediction is recorded when a risk opens on a series that is still below its threshold (a risk on a
series already above it is an observation, not a forecast). It is the claim "``metric`` on ``host``
reaches ``threshold`` by ``deadline``, with ``probability``": the deadline is the risk's
``probability_by`` (the end of the horizon its probability is computed over), or for a risk without one
``eta`` plus a tolerance (`tolerance`: a tenth of the lead time, at least one sample step) in event
time. Its outcome is whether any sample in (created_at, deadline] reached the threshold; a prediction
whose series reached it is settled as a hit as soon as that sample arrives. Closing the risk early (the
forecast no longer crosses) does not withdraw the prediction. The ledger is persisted as one
JSON document through the callbacks it is given (the knowledge base's settings).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from data.models import Risk
from data.timeutil import to_utc

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
LEDGER_SETTING = "predictive_ops.risk_predictions"  # the knowledge-base setting that holds the ledger
KEEP = 400  # newest settled and pending predictions kept (bounds the persisted document)

History = Callable[[str, str], tuple[list[datetime], NDArray[np.float64]] | None]


@dataclass(frozen=True)
class RiskPrediction:
    id: str
    host: str
    metric: str
    threshold: float
    probability: float
    created_at: datetime
    eta: datetime
    deadline: datetime
    outcome: bool | None = None
    above: bool = True  # False: the threshold is reached from above (days left falling to a limit)

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        for name in ("created_at", "eta", "deadline"):
            body[name] = to_utc(body[name]).isoformat()
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RiskPrediction:
        times = {name: to_utc(datetime.fromisoformat(body[name])) for name in ("created_at", "eta", "deadline")}
        return cls(
            id=str(body["id"]), host=str(body["host"]), metric=str(body["metric"]),
            threshold=float(body["threshold"]), probability=float(body["probability"]),
            outcome=None if body.get("outcome") is None else bool(body["outcome"]),
            above=bool(body.get("above", True)), **times,
        )  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """Brier score (mean squared gap between probability and outcome; 0 is perfect) and hit rate."""

    window_start: datetime
    window_end: datetime
    predictions: int
    hits: int
    brier: float
    hit_rate: float
    pending: int


def tolerance(created_at: datetime, eta: datetime, step: timedelta) -> timedelta:
    """Return the slack allowed after ``eta``: a tenth of the lead time, at least one sample step."""
    return max(step, (eta - created_at) / 10)


def came_true(
    times: Sequence[datetime],
    values: NDArray[np.float64],
    *,
    threshold: float,
    after: datetime,
    deadline: datetime,
    above: bool = True,
) -> bool | None:
    """Return whether a sample in (after, deadline] reached ``threshold`` (True as soon as one did); None
    while none did and no sample at or past the deadline exists (not due yet), or when no sample at all
    covers the interval (no data)."""
    if not times:
        return None
    inside = [i for i, t in enumerate(times) if after < t <= deadline]
    if inside:
        window = values[inside[0] : inside[-1] + 1]
        if bool(np.any(window >= threshold if above else window <= threshold)):
            return True
    if times[-1] < deadline or not inside:
        return None
    return False


def brier_score(probabilities: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Return mean((p - o)^2) over the pairs; ValueError when there are none."""
    if not probabilities or len(probabilities) != len(outcomes):
        raise ValueError("brier_score needs equally many probabilities and outcomes, at least one")
    return sum((p - float(o)) ** 2 for p, o in zip(probabilities, outcomes, strict=True)) / len(probabilities)


class RiskLedger:
    """Recorded risk predictions, settled as they come due. Thread-safe."""

    def __init__(
        self,
        *,
        load: Callable[[], dict[str, Any] | None] | None = None,
        save: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._save = save
        body = load() if load is not None else None
        self._pending = [RiskPrediction.from_json(b) for b in (body or {}).get("pending", [])]
        self._settled = [RiskPrediction.from_json(b) for b in (body or {}).get("settled", [])]

    def record(self, risk: Risk, *, last_value: float, step: timedelta, above: bool = True) -> bool:
        """Record ``risk`` as a prediction unless its series already reached the threshold; return if recorded."""
        if last_value >= risk.threshold if above else last_value <= risk.threshold:
            return False
        deadline = risk.probability_by or risk.eta + tolerance(risk.created_at, risk.eta, step)
        prediction = RiskPrediction(
            id=f"{risk.id}@{risk.created_at.isoformat()}", host=risk.host, metric=risk.metric,
            threshold=risk.threshold, probability=risk.probability, created_at=risk.created_at, eta=risk.eta,
            deadline=deadline, above=above,
        )  # fmt: skip
        with self._lock:
            self._pending = [*self._pending, prediction][-KEEP:]
        return True

    def settle(self, history: History) -> int:
        """Settle every pending prediction whose deadline the series' samples have passed; return how many."""
        with self._lock:
            pending = list(self._pending)
        done: dict[str, RiskPrediction | None] = {}
        for p in pending:
            found = history(p.host, p.metric)
            if found is None:
                continue
            times, values = found
            outcome = came_true(
                times, values, threshold=p.threshold, after=p.created_at, deadline=p.deadline, above=p.above
            )
            if outcome is not None:
                done[p.id] = replace(p, outcome=outcome)
            elif times and times[-1] >= p.deadline:
                done[p.id] = None  # due, but no sample covers it (a gap or a restart): cannot be judged
        if not done:
            return 0
        with self._lock:
            self._pending = [p for p in self._pending if p.id not in done]
            settled = [p for p in done.values() if p is not None]
            self._settled = sorted([*self._settled, *settled], key=lambda p: p.deadline)[-KEEP:]
        return len(done)

    def persist(self) -> None:
        """Write the ledger through ``save`` (a no-op without one)."""
        if self._save is None:
            return
        with self._lock:
            body = {"pending": [p.to_json() for p in self._pending], "settled": [p.to_json() for p in self._settled]}
        self._save(body)

    def predictions(self) -> tuple[list[RiskPrediction], list[RiskPrediction]]:
        """Return copies of (pending, settled)."""
        with self._lock:
            return list(self._pending), list(self._settled)

    def calibration(self, now: datetime, window: timedelta = WINDOW) -> Calibration | None:
        """Return the calibration of predictions that came due in the ``window`` ending at ``now``, or None."""
        pending, settled = self.predictions()
        due = [p for p in settled if now - window <= p.deadline <= now and p.outcome is not None]
        if not due:
            return None
        outcomes = [bool(p.outcome) for p in due]
        hits = sum(outcomes)
        return Calibration(
            window_start=now - window,
            window_end=now,
            predictions=len(due),
            hits=hits,
            brier=brier_score([p.probability for p in due], outcomes),
            hit_rate=hits / len(due),
            pending=len(pending),
        )

"""Which agents an incident needs: a relevance score per agent and an adaptive threshold.

Scores (0-100) come from the incident's features only (its alert names, an open risk on its root host,
a recent patch on its hosts, the remedies proposed for it); no language model takes part. An agent is
selected when its score reaches the threshold. The threshold starts at 70 and, once enough selections
have a known result, moves to the cut in [50, 85] that would have kept the most useful selections and
dropped the most useless ones; with sparse data or learning off it stays at 70.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from config.knowledge_base import KnowledgeBase
from data.timeutil import iso_text, utc_now

STATIC_THRESHOLD = 70.0
FLOOR, CEILING, STEP = 50.0, 85.0, 5.0
MIN_SAMPLES = 30
WINDOW = 500
HISTORY = 200
SETTING_KEY = "agent_selector"
# Alert names of resources that run out over time: where a forecast says more than the alert.
CAPACITY = re.compile(r"disk|inode|memory|mem|swap|cpu|load|latency|full|fill|exhaust|saturat|quota|cert", re.I)
# Alert names that follow a change of installed software.
CHANGE = re.compile(r"patch|upgrade|version|crashloop|regress|restart", re.I)


@dataclass(frozen=True)
class IncidentFeatures:
    """What the selector may look at for one incident."""

    alert_names: frozenset[str]
    risk_on_root: bool = False
    recent_patch: bool = False
    best_remedy_prior: float | None = None


@dataclass(frozen=True)
class Selection:
    """Each agent's score and why, the threshold in force, and the agents that reached it."""

    scores: dict[str, float]
    reasons: dict[str, str]
    threshold: float
    adaptive: bool
    selected: tuple[str, ...] = field(default_factory=tuple)


def relevance(features: IncidentFeatures) -> dict[str, tuple[float, str]]:
    """Return each agent's relevance score (0-100) for ``features`` with the reason for it."""
    names = " ".join(sorted(features.alert_names))
    scores: dict[str, tuple[float, str]] = {}
    scores["AlertOps"] = (100.0, "owns the incident's alerts") if names else (0.0, "no alerts")
    if features.risk_on_root:
        scores["PredictiveOps"] = (90.0, "an open risk or anomaly on the root-cause host")
    elif CAPACITY.search(names):
        scores["PredictiveOps"] = (60.0, "capacity-type alert names")
    else:
        scores["PredictiveOps"] = (25.0, "no forecast evidence")
    if features.best_remedy_prior is not None:
        prior = min(max(features.best_remedy_prior, 0.0), 1.0)
        scores["TaskOps"] = (50.0 + 45.0 * prior, f"a catalogue remedy is proposed (prior {prior:.2f})")
    else:
        scores["TaskOps"] = (15.0, "no catalogue remedy fits")
    if features.recent_patch:
        scores["PatchOps"] = (95.0, "a patch was applied on its hosts recently")
    elif CHANGE.search(names):
        scores["PatchOps"] = (40.0, "change-type alert names")
    else:
        scores["PatchOps"] = (10.0, "no patch link")
    return scores


def best_cut(pairs: Iterable[tuple[float, bool]]) -> float:
    """Return the threshold in [FLOOR, CEILING] (steps of STEP) that maximises useful minus useless
    selections among ``pairs`` of (score, useful); ties go to the cut nearest the static threshold."""
    pairs = list(pairs)
    cuts = [FLOOR + STEP * i for i in range(int((CEILING - FLOOR) / STEP) + 1)]

    def gain(cut: float) -> int:
        return sum(1 if useful else -1 for score, useful in pairs if score >= cut)

    return max(cuts, key=lambda cut: (gain(cut), -abs(cut - STATIC_THRESHOLD)))


class AgentSelector:
    """Thread-safe selection with a threshold adapted from recorded selection quality."""

    def __init__(self, kb: KnowledgeBase | None, *, learning: bool) -> None:
        self._kb = kb
        self._learning = learning
        self._pairs: deque[tuple[float, bool]] = deque(maxlen=WINDOW)
        self._history: deque[dict[str, object]] = deque(maxlen=HISTORY)
        self._lock = threading.Lock()
        stored = kb.get_setting(SETTING_KEY) if kb else None
        for score, useful in (stored or {}).get("pairs", []):
            self._pairs.append((float(score), bool(useful)))
        for entry in (stored or {}).get("history", []):
            if isinstance(entry, dict):
                self._history.append(entry)

    @property
    def threshold(self) -> float:
        with self._lock:
            return self._threshold()

    def _threshold(self) -> float:
        if not self._learning or len(self._pairs) < MIN_SAMPLES:
            return STATIC_THRESHOLD
        return best_cut(self._pairs)

    def select(self, features: IncidentFeatures) -> Selection:
        """Return the selection for one incident."""
        scored = relevance(features)
        with self._lock:
            threshold = self._threshold()
            adaptive = self._learning and len(self._pairs) >= MIN_SAMPLES
        selected = tuple(name for name, (score, _) in scored.items() if score >= threshold)
        return Selection(
            scores={name: score for name, (score, _) in scored.items()},
            reasons={name: reason for name, (_, reason) in scored.items()},
            threshold=threshold,
            adaptive=adaptive,
            selected=selected,
        )

    def record(self, score: float, useful: bool) -> None:
        """Record whether a selected agent's contribution was used in a verified outcome; persisted, with
        the threshold's history (an entry each time the threshold in force changes)."""
        with self._lock:
            before = self._threshold()
            self._pairs.append((score, useful))
            after = self._threshold()
            if after != before or not self._history:
                self._history.append({"at": iso_text(utc_now()), "threshold": after, "samples": len(self._pairs)})
            snapshot = {"pairs": [[s, u] for s, u in self._pairs], "history": list(self._history)}
        if self._kb is not None:
            self._kb.put_setting(SETTING_KEY, snapshot)

    def report(self) -> dict[str, object]:
        """Return the threshold in force, whether it is adapted, its bounds, the samples and its history."""
        with self._lock:
            useful = sum(1 for _, u in self._pairs if u)
            return {
                "threshold": self._threshold(),
                "static_threshold": STATIC_THRESHOLD,
                "floor": FLOOR,
                "ceiling": CEILING,
                "adaptive": self._learning and len(self._pairs) >= MIN_SAMPLES,
                "learning": self._learning,
                "samples": len(self._pairs),
                "useful_samples": useful,
                "history": list(self._history),
            }

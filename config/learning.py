"""The learning loop: verified outcomes become better choices of remedy.

Outcome records (incident signature, agents, actions, verified result, time to resolve, rollback) are
the facts; the per (signature, action) statistics are derived from them, so they survive a restart by
being rebuilt from the store and can never disagree with it. The policy is Thompson sampling on Beta
posteriors: each candidate's prior comes from its proposer's own estimate (so day one follows the
proposer's ranking), each verified success or failure moves it, and a draw from every posterior picks
the action, which keeps trying the uncertain ones while preferring what worked. With learning off the
policy takes the proposer's ranking as it is. The policy only orders candidates: every action it picks
still goes through the Executor's guardrails.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from config.knowledge_base import KnowledgeBase
from data.models import OutcomeRecord

# Weight of the proposer's estimate, in pseudo-observations: one real outcome outweighs half of it.
PRIOR_STRENGTH = 2.0
HISTORY_LIMIT = 50_000
PAGE = 500


def incident_signature(alert_names: Iterable[str]) -> str:
    """Return the signature of an incident: its root's distinct alert names, sorted and joined.

    Hosts, tenants and times are left out on purpose, so that the same fault on another host or for
    another client finds the same statistics.
    """
    return "+".join(sorted({name for name in alert_names if name})) or "unknown"


@dataclass(frozen=True)
class Candidate:
    """An action proposed for an incident, with the proposer's estimate that it will work (0..1)."""

    action: str
    prior: float


@dataclass
class ArmStats:
    """What is known of one action on one kind of incident."""

    signature: str
    action: str
    successes: int = 0
    failures: int = 0
    resolve_s_total: float = 0.0
    resolved: int = 0

    @property
    def tries(self) -> int:
        return self.successes + self.failures

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.tries if self.tries else None

    @property
    def mean_resolve_s(self) -> float | None:
        return self.resolve_s_total / self.resolved if self.resolved else None


@dataclass(frozen=True)
class Choice:
    """The action picked, the value each candidate drew (or its prior when learning is off), and why."""

    action: str
    draws: dict[str, float]
    learned: bool


class LearningLoop:
    """Thread-safe outcome statistics and the action policy built on them."""

    def __init__(self, kb: KnowledgeBase, *, enabled: bool, rng: random.Random | None = None) -> None:
        self._kb = kb
        self.enabled = enabled
        self._rng = rng or random.Random(0)
        self._arms: dict[tuple[str, str], ArmStats] = {}
        self._lock = threading.Lock()

    def load(self, limit: int = HISTORY_LIMIT) -> int:
        """Rebuild the statistics from the stored outcomes (newest ``limit``); return how many were read."""
        outcomes: list[OutcomeRecord] = []
        cursor: str | None = None
        while len(outcomes) < limit:
            page = self._kb.list_outcomes(limit=min(PAGE, limit - len(outcomes)), cursor=cursor)
            outcomes.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        with self._lock:
            self._arms.clear()
            for outcome in outcomes:
                self._count(outcome)
        return len(outcomes)

    def record(self, outcome: OutcomeRecord) -> None:
        """Store ``outcome`` and count it. Only outcomes with a signature and a verified result teach."""
        self._kb.record_outcome(outcome)
        with self._lock:
            self._count(outcome)

    def _count(self, outcome: OutcomeRecord) -> None:
        if outcome.signature is None or outcome.verified is None:
            return
        for action in outcome.actions:
            arm = self._arms.setdefault((outcome.signature, action), ArmStats(outcome.signature, action))
            if outcome.verified and not outcome.rolled_back:
                arm.successes += 1
                if outcome.time_to_resolve_s is not None:
                    arm.resolve_s_total += outcome.time_to_resolve_s
                    arm.resolved += 1
            else:
                arm.failures += 1

    def choose(self, signature: str, candidates: Sequence[Candidate]) -> Choice:
        """Return the candidate to try first for an incident of ``signature``.

        Raises ValueError for no candidates. Learning off: the highest prior (first on ties).
        """
        if not candidates:
            raise ValueError("no candidate actions")
        if not self.enabled:
            best = max(candidates, key=lambda c: c.prior)
            return Choice(best.action, {c.action: c.prior for c in candidates}, learned=False)
        with self._lock:
            draws = {}
            for candidate in candidates:
                arm = self._arms.get((signature, candidate.action))
                prior = min(max(candidate.prior, 0.01), 0.99)
                alpha = PRIOR_STRENGTH * prior + (arm.successes if arm else 0)
                beta = PRIOR_STRENGTH * (1 - prior) + (arm.failures if arm else 0)
                draws[candidate.action] = self._rng.betavariate(alpha, beta)
        best_action = max(draws, key=lambda action: draws[action])
        return Choice(best_action, draws, learned=True)

    def expected(self, signature: str, action: str, prior: float) -> float:
        """Return the posterior mean success of ``action`` on ``signature`` given the proposer's ``prior``
        (the prior itself when learning is off or nothing is recorded)."""
        if not self.enabled:
            return prior
        with self._lock:
            arm = self._arms.get((signature, action))
        if arm is None or arm.tries == 0:
            return prior
        return (PRIOR_STRENGTH * prior + arm.successes) / (PRIOR_STRENGTH + arm.tries)

    def statistics(self) -> list[ArmStats]:
        """Return a copy of every (signature, action) statistic, most tried first."""
        with self._lock:
            arms = [ArmStats(**vars(arm)) for arm in self._arms.values()]
        return sorted(arms, key=lambda arm: (-arm.tries, arm.signature, arm.action))

    def similar(self, signature: str, *, exclude_incident: str | None = None, limit: int = 5) -> list[OutcomeRecord]:
        """Return up to ``limit`` stored outcomes of past incidents with ``signature``, newest first."""
        found: list[OutcomeRecord] = []
        cursor: str | None = None
        scanned = 0
        while len(found) < limit and scanned < HISTORY_LIMIT:
            page = self._kb.list_outcomes(limit=PAGE, cursor=cursor)
            scanned += len(page.items)
            found.extend(o for o in page.items if o.signature == signature and o.incident_id != exclude_incident)
            cursor = page.next_cursor
            if cursor is None:
                break
        return found[:limit]

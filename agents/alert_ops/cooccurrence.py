"""Which alertnames come together in one incident, learned from closed incidents over every tenant and per tenant
(`CooccurrenceStats`): one of the link score's evidences (`agents.alert_ops.link_score`)."""

from __future__ import annotations

from collections import Counter
from typing import Any


class CooccurrenceStats:
    """Counts of alertnames seen together in closed incidents, over every tenant and per tenant; ``confidence`` is
    n(a,b) / min(n(a), n(b)), a tenant's shrunk towards the global one by `SHRINK` pseudo-incidents (one client's
    habits do not decide another's incidents until it has its own history). Memory: at most `MAX_PAIRS` pairs (and
    as many tenant pairs); past it the least seen half is dropped."""

    MIN_SUPPORT = 3
    MAX_PAIRS = 50_000
    SHRINK = 20.0

    def __init__(self) -> None:
        self._single: Counter[str] = Counter()
        self._pairs: Counter[tuple[str, str]] = Counter()
        self._tenant_single: Counter[tuple[str, str]] = Counter()
        self._tenant_pairs: Counter[tuple[str, str, str]] = Counter()

    def learn(self, alertnames: set[str], tenant: str | None = None) -> None:
        """Count the alertnames of one closed incident (of ``tenant`` when given) together (an incident of one name
        teaches nothing)."""
        if len(alertnames) < 2:
            return
        ordered = sorted(alertnames)
        self._single.update(ordered)
        if tenant is not None:
            self._tenant_single.update((tenant, name) for name in ordered)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                self._pairs[(a, b)] += 1
                if tenant is not None:
                    self._tenant_pairs[(tenant, a, b)] += 1
        if len(self._pairs) > self.MAX_PAIRS:
            self._pairs = Counter(dict(self._pairs.most_common(self.MAX_PAIRS // 2)))
        if len(self._tenant_pairs) > self.MAX_PAIRS:
            self._tenant_pairs = Counter(dict(self._tenant_pairs.most_common(self.MAX_PAIRS // 2)))
        if len(self._tenant_single) > self.MAX_PAIRS:
            self._tenant_single = Counter(dict(self._tenant_single.most_common(self.MAX_PAIRS // 2)))

    def confidence(self, a: str, b: str, tenant: str | None = None) -> float | None:
        """Return the learned association in [0, 1] (of ``tenant`` when given), or None without enough support."""
        if a == b:
            return None
        key = (a, b) if a < b else (b, a)
        support = min(self._single.get(a, 0), self._single.get(b, 0))
        overall = self._pairs.get(key, 0) / support if support >= self.MIN_SUPPORT else None
        if tenant is None:
            return overall
        mine = self._tenant_pairs.get((tenant, *key), 0)
        mine_support = min(self._tenant_single.get((tenant, a), 0), self._tenant_single.get((tenant, b), 0))
        if overall is None:
            return mine / mine_support if mine_support >= self.MIN_SUPPORT else None
        return (mine + self.SHRINK * overall) / (mine_support + self.SHRINK)

    def state(self) -> dict[str, Any]:
        """Return the counts in JSON form (`load` takes them back)."""
        return {
            "single": dict(self._single),
            "pairs": [[a, b, n] for (a, b), n in self._pairs.items()],
            "tenant_single": [[t, name, n] for (t, name), n in self._tenant_single.items()],
            "tenant_pairs": [[t, a, b, n] for (t, a, b), n in self._tenant_pairs.items()],
        }

    def load(self, state: dict[str, Any]) -> None:
        """Take back a `state`, replacing what was learned (raises on a malformed one; the per-tenant counts may be
        absent, as engines before them stored it)."""
        self._single = Counter({str(name): int(n) for name, n in state["single"].items()})
        self._pairs = Counter({(str(a), str(b)): int(n) for a, b, n in state["pairs"]})
        self._tenant_single = Counter({(str(t), str(name)): int(n) for t, name, n in state.get("tenant_single", [])})
        self._tenant_pairs = Counter({(str(t), str(a), str(b)): int(n) for t, a, b, n in state.get("tenant_pairs", [])})

"""Alert roles learned online: how often an alertname opens an incident versus joins one as a later member.

A new fault's first alert on a service that calls an open incident's services looks, by topology and
time, like that incident's cascade reaching the caller. What tells them apart is what the alert says:
some alertnames (a service down, a database unresponsive) are usually where a fault starts, others
(latency, upstream timeouts) are usually its symptoms. `AlertRoles` counts, per alertname, the
distinct outage alerts that opened an incident and those that joined one, and gives the likelihood
ratio of the name under "joins" against "opens", relative to all names (so a name with the average
role changes nothing). `link_passes` combines that ratio with the link score, read as odds against the
join threshold (naive Bayes: the threshold was chosen for the average name).

The ratio only ever raises the bar (it is capped at 1): a name that usually opens incidents needs a
stronger link to join as a symptom, while a symptom-like name gets no lower bar than today, so a weak
link cannot pull a symptom into the wrong incident. Hygiene alerts are not counted (they never join
outage incidents). Memory: at most `MAX_NAMES` alertnames; past it the least seen half is dropped.
"""

from __future__ import annotations

import math
from collections import Counter


class AlertRoles:
    """Per alertname, how many distinct outage alerts opened an incident and how many joined one."""

    MAX_NAMES = 10_000

    def __init__(self) -> None:
        self._opened: Counter[str] = Counter()
        self._joined: Counter[str] = Counter()
        self._total_opened = 0
        self._total_joined = 0

    def learn(self, alertname: str, *, opened: bool) -> None:
        """Record that a distinct outage alert named ``alertname`` opened (or joined) an incident."""
        if opened:
            self._opened[alertname] += 1
            self._total_opened += 1
        else:
            self._joined[alertname] += 1
            self._total_joined += 1
        if len(self._opened.keys() | self._joined.keys()) > self.MAX_NAMES:
            self._forget()

    def moved(self, alertname: str) -> None:
        """Record that an incident opened by ``alertname`` was merged into another: it joined after all."""
        if self._opened.get(alertname, 0) > 0:
            self._opened[alertname] -= 1
            self._total_opened -= 1
            self._joined[alertname] += 1
            self._total_joined += 1

    def join_odds(self, alertname: str) -> float:
        """Return the learned odds, capped at 1, that a distinct alert named ``alertname`` joins an incident rather
        than opens one, with one pseudo-count on each side (a uniform prior): (joined + 1) / (opened + 1)."""
        opened = self._opened.get(alertname, 0)
        joined = self._joined.get(alertname, 0)
        return min(1.0, (joined + 1) / (opened + 1))

    def _forget(self) -> None:
        seen = Counter(self._opened) + Counter(self._joined)
        keep = {name for name, _ in seen.most_common(self.MAX_NAMES // 2)}
        self._opened = Counter({n: c for n, c in self._opened.items() if n in keep})
        self._joined = Counter({n: c for n, c in self._joined.items() if n in keep})
        self._total_opened = sum(self._opened.values())
        self._total_joined = sum(self._joined.values())


def link_passes(total: float, threshold: float, join_odds: float) -> bool:
    """Return True when a link of score ``total`` joins once the name's ``join_odds`` are taken into account: the
    score's odds over the threshold's odds, times the name's odds, must reach 1 (with odds of 1, ``total >=
    threshold``)."""
    if total < threshold:
        return False
    if join_odds >= 1.0 or total >= 1.0:
        return True
    odds = (total / (1.0 - total)) / (threshold / (1.0 - threshold))
    return math.log(odds) + math.log(join_odds) >= 0.0

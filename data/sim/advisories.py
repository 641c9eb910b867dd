"""Vendor patch advisories arriving over sim time, and which of their patches are bad on which hosts.

An advisory names a package installed somewhere in the fleet, the fixed version, a severity, a
CVSS-like score and the affected operating systems. Some patches are bad: on a known share of the
hosts they are installed on, they raise error rates and crash the service (the ``bad_patch`` scenario).
That share and the exact hosts are ground truth for judging patch roll-outs; only `AdvisoryTruth`
carries them.
"""

from __future__ import annotations

import random
import re
from datetime import datetime

from pydantic import Field

from data.advisories import Advisory, version_key
from data.models import Model, Severity
from data.sim.fleet import Fleet

MEAN_INTERVAL_S = 6 * 3600.0
BAD_PATCH_P = 0.3
REBOOT_PACKAGES = frozenset({"linux-kernel", "glibc", "windows-cumulative"})
_SEVERITY_BY_SCORE = ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM), (0.0, Severity.LOW))


class AdvisoryTruth(Model):
    """Whether the advisory's patch is bad, and on which hosts it would break the service."""

    id: str
    bad_fraction: float = Field(ge=0.0, le=1.0)
    bad_hosts: list[str]


def bump_version(version: str) -> str:
    """Return ``version`` with its last number incremented (``3.0.2-0ubuntu1.12`` -> ``3.0.2-0ubuntu1.13``)."""
    match = list(re.finditer(r"\d+", version))
    if not match:
        return version + ".1"
    last = match[-1]
    return f"{version[: last.start()]}{int(last.group()) + 1}{version[last.end() :]}"


class AdvisoryFeed:
    """Publishes advisories at random intervals (mean ``mean_interval_s``) from a seeded generator."""

    def __init__(self, fleet: Fleet, rng: random.Random, mean_interval_s: float = MEAN_INTERVAL_S) -> None:
        self.fleet = fleet
        self.rng = rng
        self.mean_interval_s = mean_interval_s
        self._next: float | None = None
        self._published: list[Advisory] = []
        self._truth: dict[str, AdvisoryTruth] = {}

    def step(self, t: float, now: datetime) -> list[Advisory]:
        """Publish every advisory due by ``t``; returns the new ones."""
        if self._next is None:
            self._next = t + self.rng.expovariate(1.0 / self.mean_interval_s)
        out: list[Advisory] = []
        while self._next <= t:
            self._next += self.rng.expovariate(1.0 / self.mean_interval_s)
            advisory = self._publish(now)
            if advisory is not None:
                out.append(advisory)
        return out

    def _publish(self, now: datetime) -> Advisory | None:
        packages = sorted({p for h in self.fleet.hosts for p in h.packages})
        package = self.rng.choice(packages)
        installed = [h for h in self.fleet.hosts if package in h.packages]
        newest = max((h.packages[package] for h in installed), key=version_key)
        fixed = bump_version(newest)
        affected = [h for h in installed if version_key(h.packages[package]) < version_key(fixed)]
        if not affected:
            return None
        score = round(self.rng.uniform(3.0, 9.9), 1)
        severity = next(sev for floor, sev in _SEVERITY_BY_SCORE if score >= floor)
        number = len(self._published) + 1
        advisory = Advisory(
            id=f"OSA-{now.year}-{number:04d}",
            package=package,
            fixed_version=fixed,
            severity=severity,
            cvss=score,
            affected_os=sorted({h.os for h in affected}),
            affected_hosts=sorted(h.name for h in affected),
            published_at=now,
            summary=f"{package} before {fixed}: {self.rng.choice(_FLAWS)}",
            affected_versions=sorted({h.packages[package] for h in affected}, key=version_key),
        )
        bad_fraction = 0.0
        bad: list[str] = []
        if self.rng.random() < BAD_PATCH_P:
            bad_fraction = self.rng.uniform(0.1, 0.3)
            count = max(1, round(bad_fraction * len(affected)))
            bad = sorted(self.rng.sample([h.name for h in affected], count))
            bad_fraction = count / len(affected)
        self._published.append(advisory)
        self._truth[advisory.id] = AdvisoryTruth(id=advisory.id, bad_fraction=bad_fraction, bad_hosts=bad)
        return advisory

    def published(self) -> list[Advisory]:
        return list(self._published)

    def get(self, advisory_id: str) -> Advisory:
        """Return the advisory; KeyError when unknown."""
        for advisory in self._published:
            if advisory.id == advisory_id:
                return advisory
        raise KeyError(advisory_id)

    def knows(self, advisory_id: str) -> bool:
        return advisory_id in self._truth

    def is_bad(self, advisory_id: str, host: str) -> bool:
        truth = self._truth.get(advisory_id)
        return truth is not None and host in truth.bad_hosts

    def truth(self) -> list[AdvisoryTruth]:
        return list(self._truth.values())


_FLAWS = (
    "heap buffer overflow in the parser allows remote code execution",
    "use-after-free reachable by an unauthenticated client",
    "denial of service through crafted requests",
    "privilege escalation by a local user",
    "information disclosure in error responses",
)

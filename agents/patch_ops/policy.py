"""The knobs of a roll-out: canary share, waves, bake times, approval and the canary judge's thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RolloutPolicy:
    """How a plan is cut into phases and judged.

    ``waves`` are cumulative shares of the affected hosts after each wave (the canary comes first and
    counts towards them). ``canary_fraction`` bounds the canary (at least one host). Bake times are sim
    seconds. ``analyse`` False runs the waves without judging them (the bench's "fixed waves" baseline).
    ``auto_approve_min_cvss``: plans of advisories at or above this score are approved by policy.
    """

    canary_fraction: float = 0.1
    waves: tuple[float, ...] = (0.1, 0.5, 1.0)
    canary_bake_s: float = 1800.0
    wave_bake_s: float = 900.0
    analyse: bool = True
    auto_approve_min_cvss: float | None = None
    # The judge: a metric fails when both tests say "worse" at this level (Bonferroni-corrected over the
    # comparisons of a check) and the patched median is this much above the comparator's.
    alpha: float = 0.01
    min_samples: int = 8
    min_relative_increase: float = 0.5
    metrics: tuple[str, ...] = ("error_rate", "latency_p95", "cpu", "memory")
    install_retries: int = 1
    max_deferrals: int = 30  # pre-flight re-checks (one per hold) before a host that stays unfit is skipped
    max_disk_percent: float = 90.0
    exposed_roles: frozenset[str] = field(default_factory=lambda: frozenset({"lb", "web", "api"}))

    def __post_init__(self) -> None:
        if not 0 < self.canary_fraction <= 1:
            raise ValueError("canary_fraction must be in (0, 1]")
        if not self.waves or list(self.waves) != sorted(self.waves) or self.waves[-1] != 1.0:
            raise ValueError("waves must be increasing cumulative shares ending at 1.0")
        if self.canary_bake_s < 0 or self.wave_bake_s < 0:
            raise ValueError("bake times cannot be negative")

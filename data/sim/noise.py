"""Background noise and hygiene of the simulated fleet: what fires next to real outages without being one.

Blips (short latency/error/CPU excursions, often on a sibling of a host that has a real fault: the
hard negatives), flapping connection pools, restarts, config reload errors, failed nightly backups,
certificates nearing expiry and disks filling up, plus the routine housekeeping that clears the last
two. None of it is a fault: alerts it causes carry no fault in the truth log.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from data.sim.fleet import Fleet
from data.sim.metrics_simulator import METRICS, STATE_SIGNALS, Effects, MetricsModel

NOISE = -1  # noise without an identity of its own


def noise_source(serial: int) -> int:
    """Return the `Effects` source number of noise condition ``serial`` (below `NOISE`, so never a fault)."""
    return NOISE - 1 - serial


def noise_condition(source: int) -> str | None:
    """Return the name of the noise condition behind an `Effects` source, None for faults and anonymous noise."""
    return f"noise-{NOISE - 1 - source}" if source < NOISE else None


_BLIP_PER_HOST_MIN = 1e-3
_FLAP_PER_HOST_MIN = 3e-5
_RESTART_PER_HOST_MIN = 2e-4
_RELOAD_PER_HOST_MIN = 5e-5
_BACKUP_FAIL_P = 0.08
_BLIPS = (
    ("latency_p95", "mult", (5.5, 8.0), (180.0, 360.0)),
    ("error_rate", "add", (6.0, 12.0), (180.0, 360.0)),
    ("cpu", "add", (62.0, 70.0), (360.0, 600.0)),
)


@dataclass(frozen=True)
class Blip:
    host: int
    signal: str
    kind: str
    amount: float
    start: float
    until: float
    period: float = 0.0  # > 0: on for one period, off for the next (flapping)
    serial: int = 0  # which noise condition it is: the alerts one blip raises, flapping or not, are one condition


class Noise:
    """Draws and applies noise with a seeded generator; ``rate`` scales every noise frequency (storm mode)."""

    def __init__(self, fleet: Fleet, model: MetricsModel, rng: random.Random, rate: float = 1.0) -> None:
        self.fleet = fleet
        self.model = model
        self.rng = rng
        self.rate = rate
        self.blips: list[Blip] = []
        self._reverts: list[tuple[float, int, int]] = []
        self._disk_home: NDArray[np.float64] = model.base[:, METRICS.index("disk")].copy()
        self._backup_hosts = [h.index for h in fleet.hosts if h.role == "backup"]
        self._last_backup_day: int | None = None
        self._serials = itertools.count()  # noise conditions, numbered as they start

    def _count(self, per_host_min: float, dt_s: float) -> int:
        expected = per_host_min * len(self.fleet.hosts) * (dt_s / 60.0) * self.rate
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def _set_state(self, host: int, signal: str, value: float, until: float) -> None:
        col = STATE_SIGNALS.index(signal)
        # Hygiene signals are 0 when healthy, so overlapping events all revert to 0.
        heapq.heappush(self._reverts, (until, host, col))
        self.model.state[host, col] = value

    def step(self, t: float, dt_s: float, effects: Effects, fault_services: list[str]) -> None:
        """Advance noise to ``t``: draw new events, expire old ones, apply live blips to ``effects``."""
        n = len(self.fleet.hosts)
        while self._reverts and self._reverts[0][0] <= t:
            _, host, col = heapq.heappop(self._reverts)
            self.model.state[host, col] = 0.0
        for _ in range(self._count(_BLIP_PER_HOST_MIN, dt_s)):
            signal, kind, amount, duration = self.rng.choice(_BLIPS)
            host = self._pick_host(fault_services)
            size = self.rng.uniform(*amount)
            until = t + self.rng.uniform(*duration)
            self.blips.append(Blip(host, signal, kind, size, t, until, serial=next(self._serials)))
        for _ in range(self._count(_FLAP_PER_HOST_MIN, dt_s)):
            host = self.rng.randrange(n)
            until = t + self.rng.uniform(1800, 3600)
            self.blips.append(Blip(host, "connections", "mult", 2.4, t, until, 120.0, next(self._serials)))
        for _ in range(self._count(_RESTART_PER_HOST_MIN, dt_s)):
            self._set_state(self.rng.randrange(n), "restarts", 1.0, t + self.rng.uniform(60, 120))
        for _ in range(self._count(_RELOAD_PER_HOST_MIN, dt_s)):
            self._set_state(self.rng.randrange(n), "config_reload_failed", 1.0, t + self.rng.uniform(300, 1800))
        self._nightly_backups(t)
        self._housekeeping(dt_s)
        self.blips = [b for b in self.blips if b.until > t]
        for blip in self.blips:
            if blip.period > 0 and int((t - blip.start) // blip.period) % 2 == 1:
                continue
            effects.apply(noise_source(blip.serial), np.array([blip.host]), blip.signal, blip.kind, blip.amount)

    def _pick_host(self, fault_services: list[str]) -> int:
        # Half the blips land on a service that has a real fault right now: the hardest negatives.
        if fault_services and self.rng.random() < 0.5:
            service = self.fleet.services[self.rng.choice(fault_services)]
            return self.fleet.host_index[self.rng.choice(service.hosts)]
        return self.rng.randrange(len(self.fleet.hosts))

    def _nightly_backups(self, t: float) -> None:
        day, second = divmod(int(t), 86_400)
        if second < 7200 or self._last_backup_day == day:
            return
        self._last_backup_day = day
        for host in self._backup_hosts:
            if self.rng.random() < _BACKUP_FAIL_P * self.rate:
                self._set_state(host, "backup_failed", 1.0, t + self.rng.uniform(7200, 28_800))

    def _housekeeping(self, dt_s: float) -> None:
        # An operator renews certificates a week before expiry and rotates logs on full disks, eventually.
        p = min(1.0, dt_s / 7200.0)
        cert = self.model.state[:, STATE_SIGNALS.index("cert_days")]
        for host in np.nonzero(cert < 7.0)[0].tolist():
            if self.rng.random() < p:
                cert[host] = 90.0
        disk = self.model.base[:, METRICS.index("disk")]
        for host in np.nonzero(disk > 88.0)[0].tolist():
            if self.rng.random() < p:
                disk[host] = self._disk_home[host]

    def clear(self, host: int, signal: str) -> None:
        """Undo the hygiene condition ``signal`` on ``host`` (an operator action fixed it)."""
        col = STATE_SIGNALS.index(signal)
        self.model.state[host, col] = 0.0
        self._reverts = [r for r in self._reverts if not (r[1] == host and r[2] == col)]
        heapq.heapify(self._reverts)

    def reset_disk(self, host: int) -> None:
        self.model.base[host, METRICS.index("disk")] = self._disk_home[host]

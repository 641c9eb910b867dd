"""Per-host signals of the simulated fleet, computed for all hosts at once with numpy.

A host has seven exported metrics (`METRICS`, what the engine receives) and a few state signals
(`STATE_SIGNALS`: up, certificate days left, backup status, ...) that only the alert rules read, as
Prometheus would read them from exporters. Values = role baseline x daily/weekly seasonality x noise,
then the effects that active faults and noise blips impose (`Effects`), then physical limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from data.sim.fleet import Fleet

METRICS: tuple[str, ...] = ("cpu", "memory", "disk", "network", "latency_p95", "error_rate", "connections")
METRIC_UNITS = {
    "cpu": "percent",
    "memory": "percent",
    "disk": "percent",
    "network": "Mbit/s",
    "latency_p95": "ms",
    "error_rate": "percent",
    "connections": "count",
}
STATE_SIGNALS: tuple[str, ...] = (
    "up",
    "cert_days",
    "backup_failed",
    "restarts",
    "auth_failures",
    "replication_lag",
    "cache_hit",
    "io_latency",
    "reboot_pending",
    "config_reload_failed",
    "rate_limited",
    "dns_failures",
    "lb_health",
    "dependency_failures",
)
SIGNALS: tuple[str, ...] = METRICS + STATE_SIGNALS
SIG: dict[str, int] = {name: i for i, name in enumerate(SIGNALS)}
N_METRICS = len(METRICS)

# Role baselines for the seven metrics: cpu %, memory %, disk %, Mbit/s, p95 ms, error %, connections.
_ROLE_BASE = {
    "web": (30, 55, 45, 120, 120, 0.3, 400),
    "api": (35, 60, 40, 80, 60, 0.4, 300),
    "db": (40, 70, 55, 60, 12, 0.05, 150),
    "cache": (20, 65, 30, 150, 1.5, 0.01, 500),
    "queue": (25, 55, 45, 40, 5, 0.05, 200),
    "storage": (25, 50, 60, 200, 8, 0.02, 100),
    "dns": (10, 35, 30, 10, 3, 0.1, 50),
    "lb": (20, 40, 30, 300, 130, 0.2, 1500),
    "backup": (15, 40, 62, 30, 20, 0.1, 20),
}
# How strongly each metric follows the daily/weekly load cycle, and its relative noise.
_SEASON_AMP = np.array([0.35, 0.06, 0.0, 0.45, 0.15, 0.2, 0.4])
_NOISE_SD = np.array([0.06, 0.015, 0.0, 0.08, 0.06, 0.25, 0.05])
_UPPER = {"cpu": 100.0, "memory": 100.0, "disk": 100.0, "error_rate": 100.0, "cache_hit": 1.0, "lb_health": 1.0}


_KINDS = {"add": 0, "mult": 1, "set": 2}


class Effects:
    """What faults and noise impose on one step: additive offsets, multipliers and overrides per
    (host, signal), plus which source dominates each cell (``cause``: fault number, negative for none or noise; see
    `data.sim.noise.noise_source`).

    `apply` only records; `resolve` (called once, by `MetricsModel.values`) combines every record with
    a few vectorised operations, which keeps thousands of small effects cheap.
    """

    def __init__(self, n_hosts: int) -> None:
        self.n_hosts = n_hosts
        shape = (n_hosts, len(SIGNALS))
        self.add: NDArray[np.float64] = np.zeros(shape)
        self.mult: NDArray[np.float64] = np.ones(shape)
        self.override: NDArray[np.float64] = np.full(shape, np.nan)
        self.cause: NDArray[np.int64] = np.full(shape, -1, dtype=np.int64)
        self._records: list[tuple[NDArray[np.int64], int, int, float, int, float]] = []
        self._resolved = False

    def apply(self, source: int, hosts: NDArray[np.int64], signal: str, kind: str, amount: float) -> None:
        """Impose ``amount`` on ``signal`` of ``hosts``: kind "add", "mult" or "set"; a negative ``source`` is noise."""
        s = SIG[signal]
        if kind == "add":
            strength = abs(amount) / float(_SCALE[s])
        elif kind == "mult":
            strength = abs(amount - 1.0)
        else:
            strength = math.inf
        self._records.append((hosts, s, _KINDS[kind], amount, source, strength))
        self._resolved = False

    def resolve(self) -> None:
        """Combine the recorded effects into ``add``, ``mult``, ``override`` and ``cause``."""
        if self._resolved or not self._records:
            self._resolved = True
            return
        n_sig = len(SIGNALS)
        size = self.n_hosts * n_sig
        lengths = np.array([r[0].size for r in self._records])
        flat = np.concatenate([r[0] * n_sig + r[1] for r in self._records])
        kind = np.repeat(np.array([r[2] for r in self._records]), lengths)
        amount = np.repeat(np.array([r[3] for r in self._records]), lengths)
        source = np.repeat(np.array([r[4] for r in self._records]), lengths)
        strength = np.repeat(np.array([r[5] for r in self._records]), lengths)
        adds = kind == 0
        added = np.bincount(flat[adds], weights=amount[adds], minlength=size).astype(np.float64)
        self.add = added.reshape(self.n_hosts, n_sig)
        mults = kind == 1
        logs = np.bincount(flat[mults], weights=np.log(np.maximum(amount[mults], 1e-9)), minlength=size)
        self.mult = np.exp(logs).reshape(self.n_hosts, n_sig)
        sets = np.nonzero(kind == 2)[0]
        override = np.full(size, np.nan)
        override[flat[sets]] = amount[sets]
        self.override = override.reshape(self.n_hosts, n_sig)
        # The strongest source of each cell wins; ties go to the later record (stable sort).
        order = np.lexsort((np.arange(flat.size), strength, flat))
        last = np.r_[flat[order][1:] != flat[order][:-1], True]
        winners = order[last]
        cause = np.full(size, -1, dtype=np.int64)
        cause[flat[winners]] = source[winners]
        self.cause = cause.reshape(self.n_hosts, n_sig)
        self._resolved = True


# Typical size of each signal, so additive effects on different signals compare fairly in `cause`.
_SCALE = np.array([50, 50, 50, 100, 100, 1, 300, 1, 30, 1, 1, 10, 10, 0.5, 10, 1, 1, 10, 5, 0.5, 5], dtype=float)


@dataclass
class MetricsModel:
    """Baselines and persistent per-host state (disk fill, certificate age) for a fleet."""

    base: NDArray[np.float64]
    state: NDArray[np.float64]
    season_gain: NDArray[np.float64]
    disk_growth: NDArray[np.float64]
    max_connections: NDArray[np.float64]

    @classmethod
    def build(cls, fleet: Fleet, rng: np.random.Generator) -> MetricsModel:
        n = len(fleet.hosts)
        roles = fleet.host_role
        base = np.array([_ROLE_BASE[r] for r in roles], dtype=float)
        base *= rng.normal(1.0, 0.08, size=base.shape).clip(0.8, 1.2)
        state = np.zeros((n, len(STATE_SIGNALS)))
        st = {name: i for i, name in enumerate(STATE_SIGNALS)}
        state[:, st["up"]] = 1.0
        tls = np.array([h.tls for h in fleet.hosts])
        # Certificates on TLS endpoints: a few start close to expiry so hygiene warnings appear on day one.
        state[:, st["cert_days"]] = np.where(tls, rng.uniform(8.0, 380.0, size=n), 10_000.0)
        state[:, st["cache_hit"]] = np.where(np.array([r == "cache" for r in roles]), 0.94, 1.0)
        state[:, st["lb_health"]] = 1.0
        state[:, st["io_latency"]] = np.where(np.isin(roles, ["db", "storage"]), 6.0, 1.0)
        replica = np.array([h.role == "db" and not h.name.endswith("-01") for h in fleet.hosts])
        state[:, st["replication_lag"]] = np.where(replica, 0.5, 0.0)
        return cls(
            base=base,
            state=state,
            season_gain=rng.uniform(0.7, 1.3, size=n),
            disk_growth=rng.uniform(0.0, 1.5, size=n) / 1440.0,
            max_connections=base[:, METRICS.index("connections")] * 2.2,
        )

    def advance(self, dt_s: float) -> None:
        """Age persistent state by ``dt_s`` seconds: disks fill slowly, certificates get closer to expiry."""
        disk = METRICS.index("disk")
        self.base[:, disk] = np.minimum(self.base[:, disk] + self.disk_growth * (dt_s / 60.0), 99.0)
        self.state[:, STATE_SIGNALS.index("cert_days")] -= dt_s / 86_400.0

    def values(self, when: datetime, effects: Effects, rng: np.random.Generator) -> NDArray[np.float64]:
        """Return the (hosts, SIGNALS) matrix at ``when`` with ``effects`` applied and limits enforced."""
        effects.resolve()
        n = self.base.shape[0]
        hour = when.hour + when.minute / 60.0
        daily = math.sin(2 * math.pi * (hour - 8.0) / 24.0)
        weekly = -0.25 if when.weekday() >= 5 else 0.0
        season = 1.0 + np.outer(self.season_gain, _SEASON_AMP) * (daily * 0.5 + weekly)
        noise = 1.0 + _NOISE_SD * rng.standard_normal((n, N_METRICS))
        out = np.empty((n, len(SIGNALS)))
        out[:, :N_METRICS] = self.base * season * noise
        out[:, N_METRICS:] = self.state
        counts = rng.poisson((2.0, 1.0, 0.5), size=(n, 3)).astype(float)
        out[:, SIG["auth_failures"]] += counts[:, 0]
        out[:, SIG["rate_limited"]] += counts[:, 1]
        out[:, SIG["dns_failures"]] += counts[:, 2]
        out = out * effects.mult + effects.add
        np.copyto(out, effects.override, where=~np.isnan(effects.override))
        np.maximum(out, 0.0, out=out, where=np.arange(len(SIGNALS)) != SIG["cert_days"])
        for name, upper in _UPPER.items():
            np.minimum(out[:, SIG[name]], upper, out=out[:, SIG[name]])
        return out

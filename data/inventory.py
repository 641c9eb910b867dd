"""The fleet as patching sees it: which hosts exist, what they run, and how they are right now.

`HostInventory` is the seam: the simulator implements it (`data.sim.inventory`), a CMDB or an agent-based
inventory would too. PatchOps plans from `hosts()` and runs its pre-flight checks on `probe()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class HostInfo:
    """One host: where it is, what it does, how critical it is and the packages it runs (name -> version)."""

    name: str
    tenant: str
    site: str
    role: str
    service: str
    os: str
    criticality: str
    exposed: bool = False  # reachable from outside the tenant (serves TLS to clients)
    packages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostProbe:
    """What monitoring says about a host now; None where it cannot be told."""

    state: str  # "healthy" | "degraded" | "down"
    disk_percent: float | None
    backup_ok: bool | None


class HostInventory(Protocol):
    def hosts(self) -> list[HostInfo]:
        """Return every known host with its installed packages, as of now."""

    def probe(self, host: str) -> HostProbe | None:
        """Return the host's current health, or None for an unknown host."""

    def package_version(self, host: str, package: str) -> str | None:
        """Return the version of ``package`` installed on ``host`` now, or None when it is not installed."""

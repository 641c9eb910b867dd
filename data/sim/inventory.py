"""`SimInventory`: the simulated fleet behind the `data.inventory.HostInventory` seam."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from data.inventory import HostInfo, HostProbe

if TYPE_CHECKING:
    from data.sim.world import World


class SimInventory:
    """Reads hosts, packages and health from a `World` (under its lock, so versions are consistent)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def hosts(self) -> list[HostInfo]:
        with self.world.lock:
            return [
                HostInfo(
                    name=h.name,
                    tenant=h.tenant,
                    site=h.site,
                    role=h.role,
                    service=h.service,
                    os=h.os,
                    criticality=h.criticality,
                    exposed=h.tls,
                    packages=dict(h.packages),
                )
                for h in self.world.fleet.hosts
            ]

    def probe(self, host: str) -> HostProbe | None:
        index = self.world.fleet.host_index.get(host)
        if index is None:
            return None
        state = self.world.host_state(index)
        signals = self.world.observe(index)
        disk = state.metrics.get("disk", signals.get("disk"))
        return HostProbe(state=state.state, disk_percent=disk, backup_ok=signals.get("backup_failed", 0.0) < 0.5)

    def package_version(self, host: str, package: str) -> str | None:
        index = self.world.fleet.host_index.get(host)
        if index is None:
            return None
        with self.world.lock:
            return self.world.fleet.hosts[index].packages.get(package)


class WorldClock:
    """Sim time as the simulated world last stepped it (what its metrics are stamped with); ``fallback``
    before the first step."""

    def __init__(self, world: World, fallback: Callable[[], datetime]) -> None:
        self.world = world
        self.fallback = fallback

    def now(self) -> datetime:
        return self.world.now or self.fallback()

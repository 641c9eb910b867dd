"""`SimulatedActuator`: the simulated fleet behind the `data.actuation.FleetActuator` seam.

`SimulatedActuator` acts on a `World`. An action on a host (or on every host of a service) ends the
faults rooted there for which it is a fix, makes worse those it aggravates and does nothing to the
others; restarts, reboots, isolation and failovers have side effects that monitoring sees; hygiene
actions (disk cleanup, certificate rotation, backup rerun) clear hygiene conditions; and any action can
fail transiently. The result reports what was done and the target's signals observed afterwards; it
never says whether a fault was fixed (that is ground truth).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from data.actuation import ActionResult, TargetInfo
from data.errors import Conflict, InvalidInput, NotFound
from data.models import Action, ActionStatus, LogType
from data.sim.advisories import REBOOT_PACKAGES
from data.sim.metrics_simulator import STATE_SIGNALS
from data.sim.scenarios import ACTIONS, SCENARIOS

if TYPE_CHECKING:
    from data.sim.world import World

log = logging.getLogger(__name__)

TRANSIENT_FAILURE_P = 0.05
WORSEN_FACTOR = 1.5
# Actions that only make sense on one role; elsewhere they fail without touching anything.
_ROLE_ONLY = {
    "failover_database": "db",
    "clear_cache": "cache",
    "flush_dns": "dns",
    "restart_load_balancer": "lb",
    "run_backup": "backup",
}
_SIDE_EFFECTS = {
    "reboot": "maintenance_downtime",
    "isolate_host": "maintenance_downtime",
    "restart_service": "service_restart",
    "failover_database": "service_restart",
    "restart_load_balancer": "service_restart",
}


class SimulatedActuator:
    """Applies actions to a simulated `World` (thread-safe through the world's lock)."""

    def __init__(self, world: World, transient_failure_p: float = TRANSIENT_FAILURE_P) -> None:
        self.world = world
        self.transient_failure_p = transient_failure_p

    def apply(self, action: Action) -> ActionResult:
        """Apply ``action``; raises InvalidInput for an unknown action type, NotFound for an unknown target."""
        if action.action_type not in ACTIONS:
            raise InvalidInput("action_type", f"unknown action {action.action_type!r}; known: {', '.join(ACTIONS)}")
        world = self.world
        with world.lock:
            hosts = self._resolve(action.target)
            executed = world.now
            if executed is None:
                raise Conflict("the simulation has not run yet: no sim time to act at")
            t = executed.timestamp()
            names = [world.fleet.hosts[h].name for h in hosts]

            def result(status: ActionStatus, message: str, transient: bool = False) -> ActionResult:
                observed = {world.fleet.hosts[h].name: world.observe(h) for h in hosts}
                log.info(
                    "Action %s on %s: %s",
                    action.action_type,
                    action.target,
                    message,
                    extra={"log_type": LogType.SUCCESS if status == ActionStatus.COMPLETED else LogType.WARNING},
                )
                return ActionResult(
                    action_id=action.action_id,
                    action_type=action.action_type,
                    target=action.target,
                    status=status,
                    transient=transient,
                    message=message,
                    hosts=names,
                    executed_at=executed,
                    observed=observed,
                )

            role = _ROLE_ONLY.get(action.action_type)
            if role is not None and any(world.fleet.hosts[h].role != role for h in hosts):
                return result(ActionStatus.FAILED, f"{action.action_type} needs {role} hosts")
            if self.transient_failure_p > 0 and world.rng.random() < self.transient_failure_p:
                return result(ActionStatus.FAILED, f"{action.action_type} timed out; retry may succeed", True)
            if action.action_type == "apply_patch":
                return result(*self._apply_patch(action, hosts, t))
            if action.action_type == "rollback_patch":
                self._rollback(action, hosts)
            for fault in [f for f in world.active if f.root in hosts]:
                scenario = fault.scenario
                if action.action_type == scenario.remedy or action.action_type in scenario.also_fixes:
                    world.end_fault(fault, t, action.action_type)
                elif action.action_type in scenario.worsened_by:
                    fault.boost = min(3.0, fault.boost * WORSEN_FACTOR)
            self._hygiene(action.action_type, hosts)
            side = _SIDE_EFFECTS.get(action.action_type)
            if side is not None:
                busy = {f.root for f in world.active if f.scenario.name == side}
                for h in hosts:
                    if h not in busy:
                        world.start(SCENARIOS[side], h, t, f"action:{action.action_type}")
            return result(ActionStatus.COMPLETED, f"{action.action_type} done on {', '.join(names)}")

    def _resolve(self, target: str) -> list[int]:
        fleet = self.world.fleet
        if target in fleet.host_index:
            return [fleet.host_index[target]]
        if target in fleet.services:
            return [fleet.host_index[n] for n in fleet.services[target].hosts]
        raise NotFound(f"unknown host or service {target!r}")

    def _hygiene(self, action_type: str, hosts: list[int]) -> None:
        world = self.world
        cert = STATE_SIGNALS.index("cert_days")
        for h in hosts:
            if action_type in ("cleanup_disk", "expand_disk"):
                world.noise.reset_disk(h)
            elif action_type == "rotate_certificate" and world.fleet.hosts[h].tls:
                world.model.state[h, cert] = 365.0
            elif action_type == "run_backup":
                world.noise.clear(h, "backup_failed")
            elif action_type in ("restart_service", "reboot"):
                world.noise.clear(h, "config_reload_failed")

    def _apply_patch(self, action: Action, hosts: list[int], t: float) -> tuple[ActionStatus, str]:
        world = self.world
        advisory_id = action.params.get("advisory_id")
        if advisory_id is not None and not world.advisories.knows(str(advisory_id)) and action.params.get("package"):
            advisory_id = None  # an advisory from outside the simulated feed: install what the params name
        if advisory_id is not None:
            try:
                advisory = world.advisories.get(str(advisory_id))
            except KeyError:
                raise NotFound(f"unknown advisory {advisory_id!r}") from None
            package, version = advisory.package, advisory.fixed_version
        else:
            package, version = str(action.params.get("package", "")), str(action.params.get("version", ""))
            if not package or not version:
                raise InvalidInput("params", "apply_patch needs advisory_id, or package and version")
        missing = [world.fleet.hosts[h].name for h in hosts if package not in world.fleet.hosts[h].packages]
        if missing:
            return ActionStatus.FAILED, f"{package} is not installed on {', '.join(missing)}"
        for h in hosts:
            host = world.fleet.hosts[h]
            world.patch_history.setdefault((h, package), []).append(host.packages[package])
            host.packages[package] = version
            if advisory_id is not None and world.advisories.is_bad(str(advisory_id), host.name):
                world.start(SCENARIOS["bad_patch"], h, t, "action:apply_patch")
            if package in REBOOT_PACKAGES:
                world.start(SCENARIOS["patch_reboot_required"], h, t, "action:apply_patch")
        return ActionStatus.COMPLETED, f"{package} {version} installed"

    def _rollback(self, action: Action, hosts: list[int]) -> None:
        world = self.world
        package = action.params.get("package")
        if package is None and action.params.get("advisory_id") is not None:
            try:
                package = world.advisories.get(str(action.params["advisory_id"])).package
            except KeyError:
                raise NotFound(f"unknown advisory {action.params['advisory_id']!r}") from None
        for h in hosts:
            history = world.patch_history.get((h, str(package)))
            if history:
                world.fleet.hosts[h].packages[str(package)] = history.pop()


class SimulatedInventory:
    """`data.actuation.Inventory` over the simulated fleet: hosts and services by name."""

    def __init__(self, world: World) -> None:
        self.world = world

    def resolve(self, target: str) -> TargetInfo | None:
        """Return the host or service named ``target`` with its tenant, service and replicas, or None."""
        fleet = self.world.fleet
        if target in fleet.host_index:
            host = fleet.hosts[fleet.host_index[target]]
            service = fleet.services[host.service]
            return TargetInfo(target, host.tenant, service.name, host.role, (target,), service.hosts, host.tls)
        named = fleet.services.get(target)
        if named is None:
            return None
        tls = any(fleet.hosts[fleet.host_index[h]].tls for h in named.hosts)
        return TargetInfo(target, named.tenant, named.name, named.role, named.hosts, named.hosts, tls)

    def hosts(self) -> list[TargetInfo]:
        """Return every host of the fleet."""
        return [info for h in self.world.fleet.hosts if (info := self.resolve(h.name)) is not None]

    def observe(self, hosts: list[str]) -> dict[str, dict[str, float]]:
        """Return each host's noise-free signals now (monitoring's view after an action)."""
        fleet = self.world.fleet
        return {h: self.world.observe(fleet.host_index[h]) for h in hosts if h in fleet.host_index}

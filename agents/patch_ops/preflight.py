"""Pre-flight checks per host, the canary's replacement when its hosts are all unfit, and a host step as the
Executor sees it (its request and idempotency key)."""

from __future__ import annotations

from agents.patch_ops.executor_port import ActionRequest
from agents.patch_ops.policy import RolloutPolicy
from data.advisories import version_key
from data.inventory import HostInventory
from data.models import HostPatchStatus, PatchHost, PatchPlan

H = HostPatchStatus
AGENT = "agent:PatchOps"
STATIC_CHECKS = ("known", "needs_patch")


def checks(
    plan: PatchPlan, host: PatchHost, inventory: HostInventory, incident_hosts: set[str], max_disk: float
) -> dict[str, bool]:
    """Return each pre-flight check of ``host`` by name: True when it passes now."""
    probe = inventory.probe(host.host)
    installed = inventory.package_version(host.host, plan.package)
    return {
        "known": probe is not None,
        "needs_patch": installed is not None and version_key(installed) < version_key(plan.fixed_version),
        "healthy": probe is not None and probe.state == "healthy",
        "disk_space": probe is not None and (probe.disk_percent is None or probe.disk_percent < max_disk),
        "recent_backup": probe is not None and probe.backup_ok is not False,
        "no_open_incident": host.host not in incident_hosts,
    }


def fit(host: PatchHost, results: dict[str, bool], policy: RolloutPolicy) -> bool:
    """Record ``results`` on the host; True when it may be installed now. A host that no longer needs the patch
    is skipped; one that is unfit now waits (deferred) and is skipped after ``max_deferrals``."""
    host.preflight = results
    failed = [name for name, ok in results.items() if not ok]
    if not failed:
        return True
    if any(name in STATIC_CHECKS for name in failed) or host.deferrals >= policy.max_deferrals:
        host.status = H.SKIPPED
        host.note = "pre-flight failed: " + ", ".join(failed)
    else:
        host.deferrals += 1
        host.note = "waiting for pre-flight: " + ", ".join(failed)
    return False


def replace_canary(plan: PatchPlan) -> str | None:
    """Every canary host was skipped: move the first pending host of a later wave (of a canary's role when
    there is one) into the canary, keeping a replica of its service outside it; return it, None if none is."""
    roles = {h.role for h in plan.affected_hosts if h.wave == 0}
    candidates = sorted(
        (h for h in plan.affected_hosts if h.wave > 0 and h.status is H.PENDING),
        key=lambda h: (h.role not in roles, h.wave, h.host),
    )
    for host in candidates:
        siblings = [o for o in plan.affected_hosts if o.service == host.service and o is not host]
        if siblings and all(o.wave == 0 for o in siblings):
            continue
        plan.canary_phases[host.wave].hosts.remove(host.host)
        plan.canary_phases[0].hosts.append(host.host)
        host.wave = 0
        plan.canary_size += 1
        plan.notes.append(f"every canary host was skipped; {host.host} joined the canary")
        return host.host
    return None


def request_for(plan: PatchPlan, host: PatchHost, step: str) -> ActionRequest:
    """The host step as the Executor sees it. A plan approved by a person is that person's request (the agent
    only schedules it: the Executor's risk policy sees who decided); a plan approved by policy is the agent's,
    so the Executor's own policy decides whether a person must approve each step."""
    install = step == "install"
    params: dict[str, str] = {"advisory_id": plan.advisory_id} if plan.advisory_id else {}
    params["package"] = plan.package
    if install:
        params["version"] = plan.fixed_version
    approver = plan.approved_by or ""
    return ActionRequest(
        action="apply_patch" if install else "rollback_patch",
        target=host.host,
        tenant=host.tenant,
        params=params,
        reason=f"{plan.name}: {'install' if install else 'roll back'} ({plan.canary_phases[host.wave].name}); "
        f"plan {plan.id} approved by {approver or 'nobody'}, scheduled by PatchOps",
        requested_by=approver if approver.startswith("user:") else AGENT,
        idempotency_key=f"patch:{plan.id}:{host.host}:{step}:{host.attempt}",
        correlation_id=plan.id,
    )

"""From an advisory and the inventory to a draft roll-out plan: targets, canary, waves, rollback per host."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from agents.patch_ops.policy import RolloutPolicy
from data.advisories import Advisory, version_key
from data.errors import Conflict
from data.inventory import HostInfo
from data.models import CanaryPhase, PatchHost, PatchPlan

CRITICALITY_WEIGHT = {"low": 0.25, "medium": 0.5, "high": 0.75, "critical": 1.0}
ROLLBACK_TEXT = (
    "rollback_patch on every patched host, newest install first, back to the version it ran before "
    "(per host: rollback_to); automatic when a health check fails, or on an operator's request"
)


def _weight(host: HostInfo) -> float:
    return CRITICALITY_WEIGHT.get(host.criticality, 0.5)


def affected(advisory: Advisory, hosts: Sequence[HostInfo]) -> list[HostInfo]:
    """Return the hosts that run the advisory's package, on an affected OS, at a version before the fix."""
    fixed = version_key(advisory.fixed_version)
    versions = set(advisory.affected_versions)
    out = []
    for host in hosts:
        installed = host.packages.get(advisory.package)
        if installed is None or (advisory.affected_os and host.os not in advisory.affected_os):
            continue
        if version_key(installed) >= fixed or (versions and installed not in versions):
            continue
        out.append(host)
    return sorted(out, key=lambda h: h.name)


def select_canary(
    targets: Sequence[HostInfo], policy: RolloutPolicy, role_sizes: dict[str, int] | None = None
) -> list[HostInfo]:
    """Return the canary: the least critical host of each (role, site) group, one role at a time (least critical
    first), at most ``canary_fraction`` of the targets (at least one), never every target of a larger plan, and
    never the last host of a role in the fleet (``role_sizes``) when others remain: an unpatched peer of the same
    role is what the canary is judged against."""
    limit = max(1, math.ceil(policy.canary_fraction * len(targets)))
    if len(targets) > 1:
        limit = min(limit, len(targets) - 1)
    groups: dict[tuple[str, str], list[HostInfo]] = defaultdict(list)
    for host in targets:
        groups[(host.role, host.site)].append(host)
    picks = [min(members, key=lambda h: (_weight(h), h.name)) for members in groups.values()]
    picks.sort(key=lambda h: (_weight(h), h.role, h.site, h.name))
    taken: dict[str, int] = defaultdict(int)
    rounds: list[tuple[int, float, str, str, HostInfo]] = []
    for host in picks:
        rounds.append((taken[host.role], _weight(host), host.role, host.name, host))
        taken[host.role] += 1
    chosen: list[HostInfo] = []
    in_role: dict[str, int] = defaultdict(int)
    for _, _, role, _, host in sorted(rounds, key=lambda item: item[:4]):
        size = (role_sizes or {}).get(role, 0)
        if size > 1 and in_role[role] + 1 >= size:
            continue  # keep one host of this role unpatched to compare with
        chosen.append(host)
        in_role[role] += 1
        if len(chosen) == limit:
            break
    return chosen or picks[:1]


def assign_waves(
    targets: Sequence[HostInfo], canary: Sequence[HostInfo], policy: RolloutPolicy, replicas: dict[str, int]
) -> dict[str, int]:
    """Return host -> wave (0 = canary). Later waves reach the policy's cumulative shares taking one replica of
    each service at a time (least critical services first), so each wave holds a slice of every service; no wave
    holds every replica of a service that has more than one (``replicas``: hosts per service in the whole
    fleet), which may add a last wave."""
    wave_of = {h.name: 0 for h in canary}
    rest = [h for h in targets if h.name not in wave_of]
    rank: dict[str, int] = defaultdict(int)
    ordered = []
    for host in sorted(rest, key=lambda h: (_weight(h), h.service, h.name)):
        ordered.append((rank[host.service], _weight(host), host))
        rank[host.service] += 1
    ordered.sort(key=lambda item: (item[0], item[1], item[2].service, item[2].name))
    done, wave = len(canary), 1
    for share in policy.waves:
        goal = min(len(targets), math.ceil(share * len(targets)))
        batch = [item[2] for item in ordered[done - len(canary) : goal - len(canary)]] if goal > done else []
        if batch:
            for host in batch:
                wave_of[host.name] = wave
            done += len(batch)
            wave += 1
    _spread_replicas(targets, wave_of, replicas)
    return wave_of


def _spread_replicas(targets: Sequence[HostInfo], wave_of: dict[str, int], replicas: dict[str, int]) -> None:
    by_service: dict[str, list[HostInfo]] = defaultdict(list)
    for host in targets:
        by_service[host.service].append(host)
    for service, members in sorted(by_service.items()):
        if replicas.get(service, len(members)) < 2 or len(members) < replicas.get(service, len(members)):
            continue  # a lone host has no replica to keep serving; a service with unaffected hosts keeps those
        waves = {wave_of[h.name] for h in members}
        if len(waves) == 1:
            most_critical = max(members, key=lambda h: (_weight(h), h.name))
            wave_of[most_critical.name] += 1  # one replica waits for the next wave (a new last one if needed)


def build_plan(
    *, plan_id: str, advisory: Advisory, hosts: Sequence[HostInfo], policy: RolloutPolicy, now: datetime
) -> PatchPlan:
    """Return a draft plan for ``advisory``; Conflict when no host runs an affected version.

    ``priority`` = cvss/10 x (0.4 + 0.3 x exposed share + 0.3 x mean criticality) of the targets, in [0, 1];
    ``risk_score`` = the targets' mean criticality weight (low 0.25 ... critical 1).
    """
    targets = affected(advisory, hosts)
    if not targets:
        raise Conflict(f"no host runs an affected version of {advisory.package} (fixed in {advisory.fixed_version})")
    replicas: dict[str, int] = defaultdict(int)
    for host in hosts:
        replicas[host.service] += 1
    role_sizes: dict[str, int] = defaultdict(int)
    for host in hosts:
        role_sizes[host.role] += 1
    canary = select_canary(targets, policy, role_sizes)
    wave_of = assign_waves(targets, canary, policy, replicas)
    n_phases = max(wave_of.values()) + 1
    members: list[list[str]] = [[] for _ in range(n_phases)]
    for host in targets:
        members[wave_of[host.name]].append(host.name)
    phases = []
    for wave, names in enumerate(members):
        share = round(100 * sum(len(m) for m in members[: wave + 1]) / len(targets))
        name = f"Canary ({len(names)} hosts)" if wave == 0 else f"Wave {wave} ({len(names)} hosts, {share}%)"
        bake = policy.canary_bake_s if wave == 0 else policy.wave_bake_s
        phases.append(CanaryPhase(name=name, hosts=names, wave=wave, bake_seconds=bake))
    mean_weight = sum(_weight(h) for h in targets) / len(targets)
    exposed = sum(1 for h in targets if h.exposed or h.role in policy.exposed_roles) / len(targets)
    return PatchPlan(
        id=plan_id,
        name=f"{advisory.package} {advisory.fixed_version}",
        package=advisory.package,
        fixed_version=advisory.fixed_version,
        systems=len(targets),
        risk_score=round(mean_weight, 4),
        created_at=now,
        updated_at=now,
        canary_phases=phases,
        affected_hosts=[
            PatchHost(
                host=h.name,
                tenant=h.tenant,
                wave=wave_of[h.name],
                site=h.site,
                role=h.role,
                service=h.service,
                os=h.os,
                criticality=h.criticality,
                rollback_to=h.packages[advisory.package],
            )
            for h in sorted(targets, key=lambda h: (wave_of[h.name], h.name))
        ],
        rollback_plan=ROLLBACK_TEXT,
        advisory_id=advisory.id,
        canary_size=len(members[0]),
        severity=advisory.severity,
        cvss=advisory.cvss,
        priority=round(min(1.0, advisory.cvss / 10 * (0.4 + 0.3 * exposed + 0.3 * mean_weight)), 4),
        tenants=sorted({h.tenant for h in targets}),
    )

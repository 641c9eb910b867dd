"""Pre-flight: unfit hosts wait then are skipped, the canary is replaced when all its hosts are skipped,
and a host step's request names who decided and carries its idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.patch_ops import RolloutPolicy
from agents.patch_ops.preflight import fit, replace_canary, request_for
from data.models import CanaryPhase, HostPatchStatus, PatchHost, PatchPlan

H = HostPatchStatus
OK = {"known": True, "needs_patch": True, "healthy": True, "disk_space": True, "recent_backup": True,
      "no_open_incident": True}  # fmt: skip


def plan(**fields: object) -> PatchPlan:
    hosts = [
        PatchHost(host="web-1", tenant="acme", wave=0, role="web", service="acme-web", status=H.SKIPPED),
        PatchHost(host="web-2", tenant="acme", wave=1, role="web", service="acme-web"),
        PatchHost(host="db-1", tenant="acme", wave=1, role="db", service="acme-db"),
        PatchHost(host="web-3", tenant="acme", wave=2, role="web", service="acme-web"),
    ]
    values: dict[str, object] = {
        "id": "PLAN-1", "name": "openssl 2", "package": "openssl", "fixed_version": "2", "systems": 4,
        "risk_score": 0.5, "created_at": datetime(2026, 11, 24, tzinfo=UTC), "advisory_id": "OSA-1",
        "canary_phases": [CanaryPhase(name="Canary", hosts=["web-1"], wave=0),
                          CanaryPhase(name="Wave 1", hosts=["web-2", "db-1"], wave=1),
                          CanaryPhase(name="Wave 2", hosts=["web-3"], wave=2)],
        "affected_hosts": hosts, "canary_size": 1,
    }  # fmt: skip
    values.update(fields)
    return PatchPlan.model_validate(values)


def test_an_unfit_host_waits_then_is_skipped_and_a_patched_one_is_skipped_at_once() -> None:
    policy = RolloutPolicy(max_deferrals=2)
    host = PatchHost(host="h", tenant="acme", wave=0)
    seen = []
    for _ in range(3):
        assert not fit(host, {**OK, "healthy": False}, policy)
        seen.append((host.status.value, host.deferrals))
    assert seen == [("pending", 1), ("pending", 2), ("skipped", 2)]
    assert "healthy" in host.note
    fresh = PatchHost(host="g", tenant="acme", wave=0)
    assert not fit(fresh, {**OK, "needs_patch": False}, policy) and fresh.status is H.SKIPPED
    assert fit(PatchHost(host="f", tenant="acme", wave=0), OK, policy)


def test_a_skipped_canary_is_replaced_by_a_host_of_its_role_from_a_later_wave() -> None:
    p = plan()
    assert replace_canary(p) == "web-2"
    assert p.canary_phases[0].hosts == ["web-1", "web-2"] and p.canary_phases[1].hosts == ["db-1"]
    assert p.canary_size == 2 and next(h for h in p.affected_hosts if h.host == "web-2").wave == 0


def test_the_replacement_never_puts_every_replica_in_the_canary() -> None:
    p = plan()
    for host in p.affected_hosts:
        if host.host == "web-3":
            host.wave = 0  # the last web replica outside the canary is web-2: it must stay out
    p.canary_phases[2].hosts.clear()
    assert replace_canary(p) == "db-1"


def test_the_request_names_who_decided_and_its_idempotency_key() -> None:
    p = plan(approved_by="user:alice")
    host = p.affected_hosts[1]
    install = request_for(p, host, "install")
    assert install.requested_by == "user:alice" and install.action == "apply_patch"
    assert install.idempotency_key == "patch:PLAN-1:web-2:install:0" and install.correlation_id == "PLAN-1"
    assert install.params == {"advisory_id": "OSA-1", "package": "openssl", "version": "2"}
    host.attempt = 3
    rollback = request_for(plan(approved_by="policy"), host, "rollback")
    assert rollback.requested_by == "agent:PatchOps" and rollback.action == "rollback_patch"
    assert rollback.idempotency_key == "patch:PLAN-1:web-2:rollback:3" and "version" not in rollback.params

"""`build_safety` wires the safety services from settings over one knowledge base."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from config.knowledge_base import build_knowledge_base
from config.safety import build_safety
from data.actuation import ActionResult
from data.models import Action
from data.timeutil import utc_now
from tests.conftest import make_settings


class Simulated:
    def apply(self, action: Action) -> ActionResult:
        raise AssertionError("not called")


def test_services_share_one_audit_chain_and_the_sweeper_expires_overdue_approvals(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, APPROVAL_SWEEP_S=0.05, APPROVAL_TTL_S=60)
    kb = build_knowledge_base(settings)
    simulated = Simulated()
    safety = build_safety(kb, settings, simulated)
    assert safety.actuators.actuator_for("acme") is simulated
    opened = safety.approvals.request("ACT-1", "reboot")
    assert opened.expires_at - opened.requested_at == timedelta(seconds=60)
    overdue = safety.approvals.request("ACT-2", "failover", utc_now() - timedelta(seconds=1))
    safety.approval_sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while (current := safety.approvals.get(overdue.id)) is not None and current.state.value == "pending":
            assert time.monotonic() < deadline, "the sweeper did not expire the overdue approval"
            time.sleep(0.02)
    finally:
        safety.approval_sweeper.stop()
    assert [a.id for a in safety.approvals.pending()] == [opened.id]
    assert safety.audit.verify().entries == 3  # two requests and one expiry, one chain
    kb.close()

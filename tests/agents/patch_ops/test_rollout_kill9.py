"""A PatchOps process killed with SIGKILL mid-roll-out, again and again, resumes from the SQLite knowledge
base without installing any host twice or skipping one."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from data.advisories import Advisory
from data.models import Severity
from tests.agents.patch_ops.kill9_child import NEW, PACKAGE, build, create_fleet
from tests.conftest import REPO_ROOT

KILLS = 4


def test_kill_9_mid_rollout_resumes_without_repeating_or_skipping_a_host(tmp_path: Path) -> None:
    kb_path, fleet_path = tmp_path / "kb.sqlite3", tmp_path / "fleet.sqlite3"
    hosts = create_fleet(fleet_path, 24)
    ops, kb = build(kb_path, fleet_path)
    kb.save_advisory(
        Advisory(
            id="OSA-TEST-1",
            package=PACKAGE,
            fixed_version=NEW,
            severity=Severity.HIGH,
            cvss=8.1,
            affected_os=["ubuntu-22.04"],
            published_at=datetime.now(UTC),
        )
    )
    plan = ops.create_plan("OSA-TEST-1", actor="user:test")
    ops.approve(plan.id, actor="user:test", reason="go")
    kb.close()
    rng = random.Random(9)
    kills = 0
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "tests.agents.patch_ops.kill9_child", str(kb_path), str(fleet_path), plan.id]
    while True:
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
        if kills == KILLS:
            assert child.wait(timeout=120) == 0
            break
        # kill it a random moment after its next install landed: mid-wave, mid-request or mid-save
        before = installs(fleet_path)
        deadline = time.monotonic() + 60
        while installs(fleet_path) == before and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))
        if child.poll() is not None:
            assert child.returncode == 0
            break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        kills += 1
    assert kills == KILLS, "the roll-out finished before it was killed enough times to prove anything"
    db = sqlite3.connect(fleet_path)
    calls = db.execute("SELECT action, host FROM calls").fetchall()
    versions = dict(db.execute("SELECT name, version FROM hosts").fetchall())
    db.close()
    assert sorted(h for _, h in calls) == sorted(h.name for h in hosts)  # each host exactly once
    assert {a for a, _ in calls} == {"apply_patch"}
    assert set(versions.values()) == {NEW}
    kb = KnowledgeBase(SqliteDocumentStore(kb_path))
    done = kb.get_patch_plan(plan.id)
    assert done is not None and done.state.value == "completed" and done.progress == 100
    moves = [e.details["to"] for e in kb.list_audit(limit=500).items if e.target == plan.id]
    assert moves[0] == "completed" and "canary" in moves and "preflight" in moves
    kb.close()


def installs(fleet_path: Path) -> int:
    db = sqlite3.connect(fleet_path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    finally:
        db.close()

"""A PatchOps process for the kill -9 test: SQLite knowledge base, a fleet kept in its own SQLite file.

    python -m tests.agents.patch_ops.kill9_child <kb.sqlite3> <fleet.sqlite3> <plan id>

Runs the plan until it is finished, then exits 0. The fleet file records every install and rollback
together with the version change, in one transaction, as a real host's package database would.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from agents.patch_ops import PatchOps, RolloutEngine, RolloutPolicy
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from data.actuation import ActionResult
from data.inventory import HostInfo, HostProbe
from data.models import Action, ActionStatus
from tests.agents.patch_ops.fakes import FakeExecutor

PACKAGE = "openssl"
OLD, NEW = "3.0.2-1", "3.0.2-2"
POLICY = RolloutPolicy(canary_bake_s=0.05, wave_bake_s=0.05, analyse=False)


def create_fleet(path: Path, n_hosts: int) -> list[HostInfo]:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE hosts (name TEXT PRIMARY KEY, service TEXT, version TEXT)")
    db.execute("CREATE TABLE calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT, host TEXT)")
    db.executemany(
        "INSERT INTO hosts VALUES (?, ?, ?)", [(f"web-{i:02d}", f"svc-{i % 5}", OLD) for i in range(n_hosts)]
    )
    db.commit()
    db.close()
    return FileFleet(path).hosts()


class FileFleet:
    """Hosts whose package versions and action log live in a SQLite file (inventory and actuator at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level="IMMEDIATE")

    def hosts(self) -> list[HostInfo]:
        with self.lock, self._db() as db:
            rows = db.execute("SELECT name, service, version FROM hosts ORDER BY name").fetchall()
        return [
            HostInfo(
                name=name,
                tenant="acme",
                site=f"acme-site{int(name[-2:]) % 2}",
                role="web",
                service=service,
                os="ubuntu-22.04",
                criticality="medium",
                packages={PACKAGE: version},
            )
            for name, service, version in rows
        ]

    def probe(self, host: str) -> HostProbe | None:
        return HostProbe("healthy", 40.0, True)

    def package_version(self, host: str, package: str) -> str | None:
        with self.lock, self._db() as db:
            row = db.execute("SELECT version FROM hosts WHERE name = ?", (host,)).fetchone()
        return row[0] if row else None

    def apply(self, action: Action) -> ActionResult:
        time.sleep(0.01)  # an install takes a while: room for the kill to land mid-action
        version = action.params["version"]
        with self.lock, self._db() as db:
            db.execute("INSERT INTO calls (action, host) VALUES (?, ?)", (action.action_type, action.target))
            db.execute("UPDATE hosts SET version = ? WHERE name = ?", (version, action.target))
        return ActionResult(
            action_id=action.action_id,
            action_type=action.action_type,
            target=action.target,
            status=ActionStatus.COMPLETED,
            message="done",
            hosts=[action.target],
            executed_at=datetime.now(UTC),
        )


class FlatMetrics:
    def arrays(self, host: str, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
        return None


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def build(kb_path: Path, fleet_path: Path) -> tuple[PatchOps, KnowledgeBase]:
    kb = KnowledgeBase(SqliteDocumentStore(kb_path))
    fleet = FileFleet(fleet_path)
    engine = RolloutEngine(
        save=kb.save_patch_plan,
        executor=FakeExecutor(kb, fleet),
        inventory=fleet,
        metrics=FlatMetrics(),
        clock=WallClock(),
        kill_switch_active=lambda: False,
        audit=kb.append_audit,
        policy=POLICY,
    )
    return PatchOps(kb, engine), kb


def main() -> int:
    kb_path, fleet_path, plan_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    ops, kb = build(kb_path, fleet_path)
    while ops.get(plan_id).state.value not in ("completed", "rolled_back", "failed"):
        ops.tick()
        time.sleep(0.005)
    kb.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

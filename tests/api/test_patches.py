"""Patch endpoints through the app and its lifespan: advisories in (and refused), plans, commands, KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend_api import create_app
from tests.conftest import make_settings

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
ADVISORY = {
    "id": "OSA-TEST-0001",
    "package": "openssl",
    "fixed_version": "3.0.2-0ubuntu1.99",
    "severity": "high",
    "cvss": 8.2,
    "affected_os": ["rhel-9"],
    "summary": "heap overflow",
}


class Rig:
    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.state = http.app.state  # type: ignore[attr-defined]
        self.t = START

    def step(self, minutes: int, *, tick: bool = True) -> None:
        for _ in range(minutes):
            self.t += timedelta(minutes=1)
            self.state.simulation.world.step(self.t)
            if tick:
                self.state.patch_ops.tick()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    settings = make_settings(
        tmp_path, PATCH_TICK_S=3600, PATCH_CANARY_BAKE_S=600, PATCH_WAVE_BAKE_S=600, SIM_HISTORY_HOURS=0
    )
    with TestClient(create_app(settings)) as http:
        rig = Rig(http)
        rig.step(30, tick=False)
        yield rig


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cvss": 11}, "cvss"),
        ({"cvss": "NaN"}, "cvss"),
        ({"affected_os": []}, "affected_os"),
        ({"id": "OSA 1; drop"}, "id"),
        ({"package": "x" * 500}, "package"),
        ({"fixed_version": "latest"}, "fixed_version"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"affected_os": ["rhel-9"] * 100}, "affected_os"),
        ({"published_at": "2026-11-24T01:00:00"}, "published_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_advisories_are_refused_naming_the_field(rig: Rig, change: dict[str, Any], field: str) -> None:
    response = rig.http.post("/api/patches/advisories", json={**ADVISORY, **change})
    assert response.status_code == 422
    assert any(field in [str(part) for part in error["loc"]] for error in response.json()["detail"])
    assert rig.http.get("/api/patches/advisories").json() == []


def test_advisory_is_stored_once_and_a_different_one_under_its_id_conflicts(rig: Rig) -> None:
    first = rig.http.post("/api/patches/advisories", json=ADVISORY)
    assert first.status_code == 201 and first.json()["source"] == "api"
    assert rig.http.post("/api/patches/advisories", json=ADVISORY).json() == first.json()
    changed = rig.http.post("/api/patches/advisories", json={**ADVISORY, "cvss": 9.9})
    assert changed.status_code == 409
    assert [a["cvss"] for a in rig.http.get("/api/patches/advisories").json()] == [8.2]


def test_plan_from_an_advisory_runs_to_completion_with_its_figures(rig: Rig) -> None:
    assert rig.http.post("/api/patches", json={"advisory_id": "nope"}).status_code == 404
    rig.http.post("/api/patches/advisories", json=ADVISORY)
    created = rig.http.post("/api/patches", json={"advisory_id": ADVISORY["id"], "actor": "alice"})
    assert created.status_code == 201
    plan = created.json()
    assert plan["state"] == "draft" and plan["status"] == "pending" and plan["advisory_id"] == ADVISORY["id"]
    hosts = plan["affected_hosts"]
    assert hosts and {"host", "tenant", "wave", "status"} <= set(hosts[0])
    assert all(h["status"] == "pending" and h["os"] == "rhel-9" for h in hosts)
    assert plan["canary_size"] == len(plan["canary_phases"][0]["hosts"]) >= 1 and plan["rollback_plan"]
    assert rig.http.post("/api/patches", json={"advisory_id": ADVISORY["id"]}).status_code == 409
    assert rig.http.post(f"/api/patches/{plan['id']}/pause", json={}).status_code == 409
    assert rig.http.get("/api/metrics").json()["patchesPending"] == 1
    approved = rig.http.post(f"/api/patches/{plan['id']}/approve", json={"actor": "bob", "reason": "window"})
    assert approved.json()["state"] == "approved" and approved.json()["approved_by"] == "user:bob"
    accepted = 0
    for _ in range(300):
        rig.step(1)
        now = rig.http.get(f"/api/patches/{plan['id']}").json()
        if now["state"] == "paused" and now["pause_kind"] == "approval":  # a noisy world can leave a check split
            accepted += 1
            rig.http.post(f"/api/patches/{plan['id']}/approve", json={"actor": "bob", "reason": "looked at it"})
        if now["state"] in ("completed", "rolled_back", "failed"):
            break
    done = rig.http.get(f"/api/patches/{plan['id']}").json()
    assert done["state"] == "completed", done["pause_reason"]
    assert accepted <= 1
    installed = [h for h in done["affected_hosts"] if h["status"] == "installed"]
    skipped = [h for h in done["affected_hosts"] if h["status"] == "skipped"]
    assert len(installed) + len(skipped) == done["systems"] and installed
    assert all(h["note"].startswith("pre-flight failed: ") for h in skipped), skipped  # unhealthy hosts wait
    assert done["progress"] == round(100 * len(installed) / done["systems"])
    check = done["health_checks"][0]
    assert check["verdict"] == "pass" and check["comparisons"][0]["n_patched"] >= 8
    listed = rig.http.get("/api/patches").json()
    assert [p["id"] for p in listed] == [plan["id"]]
    assert {"id", "name", "systems", "progress", "status", "created_at", "risk_score", "incident_id",
            "advisory_id", "canary_size"} <= set(listed[0])  # fmt: skip
    assert rig.http.get("/api/metrics").json()["patchesPending"] == 0
    assert rig.http.get("/api/forecasts").json()["patch_success_rate"] == 100.0
    audit = rig.state.kb.list_audit(limit=200).items
    assert {"patch.draft", "patch.approved", "patch.canary", "patch.completed"} <= {e.action for e in audit}


def test_commands_answer_404_and_409_and_the_kill_switch_blocks_resume(rig: Rig) -> None:
    assert rig.http.get("/api/patches/PLAN-none").status_code == 404
    assert rig.http.post("/api/patches/PLAN-none/approve", json={}).status_code == 404
    rig.http.post("/api/patches/advisories", json=ADVISORY)
    plan = rig.http.post("/api/patches", json={"advisory_id": ADVISORY["id"]}).json()
    rig.http.post(f"/api/patches/{plan['id']}/approve", json={})
    rig.step(1)
    assert rig.http.post(f"/api/patches/{plan['id']}/pause", json={"reason": "freeze"}).json()["state"] == "paused"
    assert rig.http.put("/api/kill-switch", json={"active": True, "reason": "incident"}).status_code == 200
    assert rig.http.post(f"/api/patches/{plan['id']}/resume", json={}).status_code == 409
    assert rig.http.post(f"/api/patches/{plan['id']}/approve", json={}).status_code == 409
    rolled = rig.http.post(f"/api/patches/{plan['id']}/rollback", json={"reason": "no"})
    assert rolled.status_code == 200 and rolled.json()["state"] == "rolling_back"
    assert rig.http.post(f"/api/patches/{plan['id']}/actor", json={}).status_code in (404, 405)
    bad_actor = rig.http.post(f"/api/patches/{plan['id']}/pause", json={"actor": "a b"})
    assert bad_actor.status_code == 422


def test_advisory_truth_is_served_for_evaluation(rig: Rig) -> None:
    world = rig.state.simulation.world
    world.advisories.step(rig.t.timestamp() + 30 * 86400, rig.t)
    truth = rig.http.get("/api/simulation/truth/advisories").json()
    assert len(truth) == len(world.advisories.truth()) > 0
    assert any(t["bad"] for t in truth) and all(t["bad"] == bool(t["bad_hosts"]) for t in truth)


def test_mutations_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, OPSFORGE_API_TOKEN="s3cret", PATCH_TICK_S=3600)
    with TestClient(create_app(settings)) as http:
        assert http.post("/api/patches/advisories", json=ADVISORY).status_code == 401
        assert http.post("/api/patches", json={"advisory_id": "x"}).status_code == 401
        ok = http.post("/api/patches/advisories", json=ADVISORY, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201
        assert http.get("/api/patches").status_code == 200

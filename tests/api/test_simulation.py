"""Simulation start/stop/status, the scenario catalogue, fault injection and the ground truth, through the app."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend_api import create_app
from tests.api.conftest import FakeRunner, build
from tests.conftest import make_settings


def test_simulation_start_stop_and_thread_gone_after_shutdown(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, SIM_SPEED=600))
    with TestClient(app) as client:
        assert client.get("/api/simulation/status").json()["running"] is False
        started = client.post("/api/simulation/start").json()
        assert started == {
            "status": "started",
            "running": True,
            "message": "Incident simulation started - generating incidents every 30-60 seconds",
        }
        assert client.post("/api/simulation/start").json()["status"] == "already_running"
        assert client.get("/api/simulation/status").json()["running"] is True
        assert client.post("/api/simulation/stop").json()["status"] == "stopped"
        assert client.post("/api/simulation/stop").json()["status"] == "already_stopped"
        client.post("/api/simulation/start")
        runner = app.state.simulation
    assert not runner.is_thread_alive()


def test_simulation_status_reports_the_world(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        status = client.get("/api/simulation/status").json()
        assert status["alerts_emitted"] == 0 and status["active_faults"] == 0 and status["seed"] == 42


def test_first_start_steps_the_simulated_past_and_a_restart_does_not(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, SIM_SPEED=1, SIM_HISTORY_HOURS=6)

    def run(app: Any, until_ticks: int, within_s: float) -> tuple[int, int]:
        """Start the simulation, wait for ``until_ticks`` ticks or ``within_s``; return ticks and stored alerts."""
        with TestClient(app) as client:
            client.post("/api/simulation/start")
            deadline = time.monotonic() + within_s
            while client.get("/api/simulation/status").json()["ticks"] < until_ticks and time.monotonic() < deadline:
                time.sleep(0.05)
            ticks = client.get("/api/simulation/status").json()["ticks"]
            stored = len(client.get("/api/alerts?limit=500").json()["items"])
            client.post("/api/simulation/stop")
        return ticks, stored

    ticks, stored = run(create_app(settings), until_ticks=360, within_s=60)
    assert ticks >= 360 and stored > 0  # six simulated hours within a minute at 1x: only the history explains it
    ticks, _ = run(create_app(settings), until_ticks=360, within_s=1.5)
    assert ticks <= 3  # the stored past is the history now: live ticks only


def test_after_a_restart_sim_time_resumes_after_the_stored_alerts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, SIM_SPEED=3600, SIM_HISTORY_HOURS=0)
    with TestClient(create_app(settings)) as client:
        client.post("/api/simulation/start")
        deadline = time.monotonic() + 30
        while client.get("/api/simulation/status").json()["ticks"] < 60 and time.monotonic() < deadline:
            time.sleep(0.05)  # an hour of sim time ahead of the wall clock
        client.post("/api/simulation/stop")
        newest = client.get("/api/alerts?limit=1").json()["items"][0]["startsAt"]
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/simulation/status").json()["sim_time"] > newest


def test_scenarios_and_injection(sim_client: tuple[TestClient, FakeRunner]) -> None:
    http, runner = sim_client
    items = http.get("/api/simulation/scenarios").json()["items"]
    assert len([s for s in items if s["random"]]) >= 16
    created = http.post("/api/simulation/scenarios/dns_failure", json={"tenant": "initech"})
    assert created.status_code == 201
    fault = created.json()
    assert fault["scenario"] == "dns_failure" and fault["tenant"] == "initech" and fault["remedy"] == "flush_dns"
    assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 201
    assert http.post("/api/simulation/scenarios/nope").status_code == 404
    assert http.post("/api/simulation/scenarios/cpu_spike", json={"host": "ghost-01"}).status_code == 404
    runner.running = False
    assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 409
    assert http.post("/api/simulation/scenarios/nope").status_code == 404


def test_truth_is_paginated(sim_client: tuple[TestClient, FakeRunner]) -> None:
    http, runner = sim_client
    total = len(runner.world.truth.faults())
    assert total >= 3
    first = http.get("/api/simulation/truth", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"] == "2"
    rest = http.get("/api/simulation/truth", params={"limit": 500, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == total - 2 and rest["next_cursor"] is None
    assert [f["id"] for f in first["items"] + rest["items"]] == [f.id for f in runner.world.truth.faults()]
    alerts = http.get("/api/simulation/truth/alerts", params={"limit": 5}).json()
    assert len(alerts["items"]) == 5 and alerts["next_cursor"] == "5"
    assert http.get("/api/simulation/truth", params={"cursor": "abc"}).status_code == 422


def test_injection_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    test_client, runner = build(tmp_path, OPSFORGE_API_TOKEN="s3cret-token-value-for-tests")
    with test_client as http:
        http.app.state.simulation = runner  # type: ignore[attr-defined]
        assert http.post("/api/simulation/scenarios/cpu_spike").status_code == 401
        headers = {"Authorization": "Bearer s3cret-token-value-for-tests"}
        assert http.post("/api/simulation/scenarios/cpu_spike", headers=headers).status_code == 201
        assert http.get("/api/fleet").status_code == 200

"""Shared by the API tests: a tenant's topology, and a simulated world stepped for half an hour behind an app
whose runner is a stand-in that only holds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend_api import create_app
from data.sim.world import World
from data.sinks import RecordingSink
from tests.conftest import make_settings

TOPOLOGY = {
    "tenant": "acme",
    "services": [
        {"name": "api", "hosts": ["api-1"], "site": "fra1"},
        {"name": "db", "hosts": ["db-1"], "site": "fra1"},
    ],
    "dependencies": [["api", "db"]],
}

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


class FakeRunner:
    """Stands in for the simulation runner: the endpoints only read ``world`` and ``running``."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.running = True


def build(tmp_path: Path, **settings: Any) -> tuple[TestClient, FakeRunner]:
    app = create_app(make_settings(tmp_path, **settings))
    world = World(seed=3, alert_sink=RecordingSink())
    for minute in range(30):
        world.step(START + timedelta(minutes=minute))
    return TestClient(app), FakeRunner(world)


@pytest.fixture
def sim_client(tmp_path: Path) -> Iterator[tuple[TestClient, FakeRunner]]:
    test_client, runner = build(tmp_path)
    with test_client:
        test_client.app.state.simulation = runner  # type: ignore[attr-defined]
        yield test_client, runner

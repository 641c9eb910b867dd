"""Risk predictions: tolerance, outcome when due, Brier score, and the persisted ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.predictive_ops.risk_calibration import LEDGER_SETTING, RiskLedger, brier_score, came_true, tolerance
from config.knowledge_base import build_knowledge_base
from data.models import Risk
from tests.conftest import make_settings

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
TIMES = [T0 + i * MINUTE for i in range(31)]


def risk(metric: str, probability: float, eta_minutes: int, host: str = "h1") -> Risk:
    return Risk(
        id=f"RISK-{host}-{metric}", host=host, metric=metric, threshold=90.0, eta=T0 + eta_minutes * MINUTE,
        probability=probability, recommended_action="restart_service", created_at=T0,
    )  # fmt: skip


def test_tolerance_is_a_tenth_of_the_lead_at_least_a_step() -> None:
    assert tolerance(T0, T0 + timedelta(hours=1), MINUTE) == timedelta(minutes=6)
    assert tolerance(T0, T0 + 5 * MINUTE, MINUTE) == MINUTE


def test_came_true_looks_only_between_creation_and_deadline() -> None:
    values = np.array([95.0] + [50.0] * 6 + [92.0] + [50.0] * 23)  # at or above 90 at 10:00 and 10:07
    assert came_true(TIMES, values, threshold=90, after=T0, deadline=T0 + 7 * MINUTE) is True
    assert came_true(TIMES, values, threshold=90, after=T0, deadline=T0 + 6 * MINUTE) is False
    assert came_true(TIMES, values, threshold=90, after=T0, deadline=T0 + 31 * MINUTE) is True  # a hit settles early
    assert came_true(TIMES, values, threshold=90, after=T0 + 7 * MINUTE, deadline=T0 + 31 * MINUTE) is None  # not due
    falling = 100 - values  # days left: reached when at or below 10
    assert came_true(TIMES, falling, threshold=10, after=T0, deadline=T0 + 7 * MINUTE, above=False) is True
    assert came_true(TIMES, falling, threshold=10, after=T0, deadline=T0 + 6 * MINUTE, above=False) is False
    assert came_true([], np.array([]), threshold=90, after=T0, deadline=T0) is None


def test_brier_score_exact() -> None:
    assert brier_score([0.9, 0.6, 0.8], [True, False, True]) == pytest.approx((0.01 + 0.36 + 0.04) / 3)
    assert brier_score([1.0], [True]) == 0.0
    with pytest.raises(ValueError):
        brier_score([], [])


def test_ledger_records_settles_and_persists() -> None:
    saved: list[dict[str, Any]] = []
    ledger = RiskLedger(save=saved.append)
    memory = np.linspace(80, 95, 31)  # reaches 90 at 10:20
    cpu = np.full(31, 60.0)
    assert ledger.record(risk("memory", 0.8, 15), last_value=80.0, step=MINUTE)  # due 10:16: not yet 90
    assert ledger.record(risk("cpu", 0.6, 10), last_value=60.0, step=MINUTE)  # due 10:11: no
    assert ledger.record(risk("memory", 0.9, 20, host="h2"), last_value=80.0, step=MINUTE)  # due 10:22: yes
    assert not ledger.record(risk("disk", 0.99, 5), last_value=93.0, step=MINUTE)  # already above: no prediction
    series = {("h1", "memory"): memory, ("h1", "cpu"): cpu, ("h2", "memory"): memory}

    def history(host: str, metric: str) -> tuple[list[datetime], Any] | None:
        found = series.get((host, metric))
        return None if found is None else (TIMES, found)

    assert ledger.calibration(T0 + 30 * MINUTE) is None
    assert ledger.settle(history) == 3
    calibration = ledger.calibration(T0 + 30 * MINUTE)
    assert calibration is not None
    assert (calibration.predictions, calibration.hits, calibration.pending) == (3, 1, 0)
    assert calibration.brier == pytest.approx((0.8**2 + 0.6**2 + 0.1**2) / 3)
    assert calibration.hit_rate == pytest.approx(1 / 3)
    assert ledger.calibration(T0 + timedelta(days=2)) is None  # all came due outside that window
    ledger.persist()
    restored = RiskLedger(load=lambda: saved[-1])
    assert restored.predictions() == ledger.predictions()


def test_a_prediction_waits_for_samples_past_its_deadline() -> None:
    ledger = RiskLedger()
    ledger.record(risk("memory", 0.7, 40), last_value=80.0, step=MINUTE)  # due 10:44, samples end 10:30
    assert ledger.settle(lambda host, metric: (TIMES, np.full(31, 50.0))) == 0
    assert len(ledger.predictions()[0]) == 1
    assert ledger.settle(lambda host, metric: None) == 0


@pytest.mark.parametrize("backend", ["memory", "sqlite", "dynamodb"])
def test_ledger_round_trips_through_every_knowledge_base(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    overrides: dict[str, Any] = {"KB_BACKEND": backend}
    if backend == "dynamodb":
        import boto3

        from config.dynamodb_schema import create_table

        endpoint = request.getfixturevalue("moto_endpoint")
        table = f"kb-{uuid.uuid4().hex[:8]}"
        create_table(boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint), table)
        overrides.update(DYNAMODB_TABLE=table, AWS_ENDPOINT_URL=endpoint, AWS_REGION="eu-west-1")
    kb = build_knowledge_base(make_settings(tmp_path, **overrides))
    try:
        ledger = RiskLedger(save=lambda body: kb.put_setting(LEDGER_SETTING, body))
        ledger.record(risk("memory", 0.8, 15), last_value=80.0, step=MINUTE)
        ledger.record(risk("memory", 0.9, 20, host="h2"), last_value=80.0, step=MINUTE)
        ledger.settle(lambda host, metric: (TIMES, np.linspace(80, 95, 31)) if host == "h1" else None)
        ledger.persist()
        restored = RiskLedger(load=lambda: kb.get_setting(LEDGER_SETTING))
        assert restored.predictions() == ledger.predictions()
        assert [p.outcome for p in restored.predictions()[1]] == [False]
    finally:
        kb.close()

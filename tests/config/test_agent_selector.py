"""Agent selection: relevance from incident features, a threshold adapted within its bounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.agent_selector import (
    CEILING,
    FLOOR,
    MIN_SAMPLES,
    STATIC_THRESHOLD,
    AgentSelector,
    IncidentFeatures,
    best_cut,
)
from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase

DISK = IncidentFeatures(frozenset({"DiskWillFill", "HighLatency"}), best_remedy_prior=0.8)


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    store = KnowledgeBase(SqliteDocumentStore(tmp_path / "kb.sqlite3"))
    yield store
    store.store.close()


def test_scores_follow_the_features() -> None:
    selection = AgentSelector(None, learning=False).select(DISK)
    assert selection.threshold == STATIC_THRESHOLD and not selection.adaptive
    assert selection.scores["TaskOps"] == pytest.approx(86.0)
    assert selection.scores["PredictiveOps"] == 60.0 and selection.scores["PatchOps"] == 10.0
    assert selection.selected == ("AlertOps", "TaskOps")
    patched = IncidentFeatures(frozenset({"ServiceDown"}), recent_patch=True, risk_on_root=True)
    assert set(AgentSelector(None, learning=False).select(patched).selected) == {
        "AlertOps",
        "PredictiveOps",
        "PatchOps",
    }


def test_sparse_data_keeps_the_static_threshold(kb: KnowledgeBase) -> None:
    selector = AgentSelector(kb, learning=True)
    for _ in range(MIN_SAMPLES - 1):
        selector.record(72.0, useful=False)
    assert selector.threshold == STATIC_THRESHOLD


def test_useless_selections_raise_the_threshold_within_the_ceiling(kb: KnowledgeBase) -> None:
    selector = AgentSelector(kb, learning=True)
    for _ in range(MIN_SAMPLES):
        selector.record(72.0, useful=False)
        selector.record(96.0, useful=True)
    assert selector.threshold == 75.0 and selector.select(DISK).adaptive
    for _ in range(2 * MIN_SAMPLES):
        selector.record(80.0, useful=False)
    assert selector.threshold == CEILING  # the best cut would be above 80; the ceiling holds it at 85


def test_useful_low_scores_lower_it_to_no_less_than_the_floor() -> None:
    assert best_cut([(52.0, True)] * 10 + [(40.0, True)] * 10) == FLOOR


def test_learning_off_ignores_the_record(kb: KnowledgeBase) -> None:
    selector = AgentSelector(kb, learning=False)
    for _ in range(2 * MIN_SAMPLES):
        selector.record(72.0, useful=False)
    assert selector.threshold == STATIC_THRESHOLD


def test_the_record_survives_a_restart(kb: KnowledgeBase) -> None:
    first = AgentSelector(kb, learning=True)
    for _ in range(MIN_SAMPLES):
        first.record(72.0, useful=False)
        first.record(90.0, useful=True)
    assert AgentSelector(kb, learning=True).threshold == first.threshold == 75.0


def test_the_report_keeps_the_thresholds_history_across_a_restart(kb: KnowledgeBase) -> None:
    selector = AgentSelector(kb, learning=True)
    for _ in range(MIN_SAMPLES):
        selector.record(72.0, useful=False)
        selector.record(96.0, useful=True)
    report = selector.report()
    assert report["threshold"] == 75.0 and report["adaptive"] and report["samples"] == 2 * MIN_SAMPLES
    history = report["history"]
    assert isinstance(history, list) and [h["threshold"] for h in history] == [70.0, 75.0]
    again = AgentSelector(kb, learning=True).report()
    assert again["history"] == history and again["threshold"] == 75.0

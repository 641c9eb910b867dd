"""The learning loop: statistics derived from stored outcomes, Thompson sampling that follows them."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.kb_sqlite import SqliteDocumentStore
from config.knowledge_base import KnowledgeBase
from config.learning import Candidate, LearningLoop, incident_signature
from data.models import OutcomeRecord

T0 = datetime(2026, 1, 5, tzinfo=UTC)
SIG = incident_signature(["DiskFull", "DiskWillFill", "DiskFull"])
CANDIDATES = [Candidate("restart_service", 0.6), Candidate("cleanup_disk", 0.4)]


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    store = KnowledgeBase(SqliteDocumentStore(tmp_path / "kb.sqlite3"))
    yield store
    store.store.close()


def outcome(
    i: int, action: str, verified: bool, *, signature: str = SIG, resolve_s: float | None = 300.0
) -> OutcomeRecord:
    return OutcomeRecord(
        incident_id=f"inc-{i}",
        status="resolved" if verified else "open",
        agents_used=["TaskOps"],
        actions=[action],
        success=verified,
        verified=verified,
        signature=signature,
        time_to_resolve_s=resolve_s if verified else None,
        timestamp=T0 + timedelta(minutes=i),
    )


def test_signature_ignores_order_duplicates_and_hosts() -> None:
    assert SIG == "DiskFull+DiskWillFill" == incident_signature(["DiskWillFill", "DiskFull"])
    assert incident_signature([]) == "unknown"


def test_learning_off_follows_the_proposer(kb: KnowledgeBase) -> None:
    loop = LearningLoop(kb, enabled=False)
    for i in range(20):
        loop.record(outcome(i, "restart_service", verified=False))
    choice = loop.choose(SIG, CANDIDATES)
    assert choice.action == "restart_service" and not choice.learned


def test_verified_outcomes_move_the_choice(kb: KnowledgeBase) -> None:
    loop = LearningLoop(kb, enabled=True, rng=random.Random(7))
    before = Counter(loop.choose(SIG, CANDIDATES).action for _ in range(400))
    for i in range(15):
        loop.record(outcome(i, "restart_service", verified=False))
        loop.record(outcome(100 + i, "cleanup_disk", verified=True))
    after = Counter(loop.choose(SIG, CANDIDATES).action for _ in range(400))
    assert before["restart_service"] > before["cleanup_disk"]  # the prior leads on day one
    assert after["cleanup_disk"] > 0.95 * 400  # the evidence leads afterwards


def test_other_signatures_do_not_share_statistics(kb: KnowledgeBase) -> None:
    loop = LearningLoop(kb, enabled=True, rng=random.Random(3))
    for i in range(20):
        loop.record(outcome(i, "restart_service", verified=False, signature="CpuHigh"))
    assert loop.statistics()[0].signature == "CpuHigh"
    picks = Counter(loop.choose(SIG, CANDIDATES).action for _ in range(400))
    assert picks["restart_service"] > picks["cleanup_disk"]


def test_unverified_and_rolled_back_outcomes(kb: KnowledgeBase) -> None:
    loop = LearningLoop(kb, enabled=True)
    loop.record(outcome(1, "cleanup_disk", verified=True).model_copy(update={"verified": None}))
    loop.record(outcome(2, "cleanup_disk", verified=True).model_copy(update={"rolled_back": True}))
    (arm,) = loop.statistics()
    assert (arm.successes, arm.failures) == (0, 1)  # unverified teaches nothing, a rollback is a failure


def test_statistics_survive_a_restart(kb: KnowledgeBase, tmp_path: Path) -> None:
    loop = LearningLoop(kb, enabled=True)
    for i in range(3):
        loop.record(outcome(i, "cleanup_disk", verified=True, resolve_s=100.0 * (i + 1)))
    loop.record(outcome(9, "restart_service", verified=False))
    kb.store.close()
    reopened = KnowledgeBase(SqliteDocumentStore(tmp_path / "kb.sqlite3"))
    fresh = LearningLoop(reopened, enabled=True)
    assert fresh.load() == 4
    stats = {arm.action: arm for arm in fresh.statistics()}
    assert (stats["cleanup_disk"].successes, stats["cleanup_disk"].mean_resolve_s) == (3, 200.0)
    assert stats["restart_service"].success_rate == 0.0
    reopened.store.close()


def test_similar_past_incidents_share_the_signature(kb: KnowledgeBase) -> None:
    loop = LearningLoop(kb, enabled=True)
    loop.record(outcome(1, "cleanup_disk", verified=True))
    loop.record(outcome(2, "restart_service", verified=True, signature="CpuHigh"))
    loop.record(outcome(3, "cleanup_disk", verified=True))
    similar = loop.similar(SIG, exclude_incident="inc-3")
    assert [o.incident_id for o in similar] == ["inc-1"]


def test_no_candidates_is_an_error(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="no candidate"):
        LearningLoop(kb, enabled=True).choose(SIG, [])

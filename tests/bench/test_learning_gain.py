"""The learning bench runs end to end on a short simulated span: the orchestrator acts, outcomes are recorded
and the figures it prints are computed (not placeholders)."""

from __future__ import annotations

from bench.learning_gain import Run, change, summarise


def test_a_short_run_acts_records_outcomes_and_measures() -> None:
    sim = Run(11, learning=True)
    try:
        sim.step(180)
        result = summarise(sim, 0.0)
        assert result.incidents > 0 and result.attempted > 0
        assert result.mttr_min is not None and 0 <= result.auto_resolved <= result.resolved <= result.incidents
        assert sim.kb.list_outcomes().items  # the learning loop's facts
        assert sim.orchestrator.learning_report()["statistics"]
    finally:
        sim.close()


def test_change_is_relative_and_none_without_a_reference() -> None:
    assert change(40.0, 30.0) == -0.25 and change(None, 3.0) is None and change(0, 3) is None

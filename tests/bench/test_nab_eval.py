"""The NAB bench: clear instructions without a corpus, and leave-one-category-out chooses on the others only."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bench import nab_eval

SCORER = Path(nab_eval.__file__).resolve().parents[2] / "shared" / "tools" / "nab_score.py"


def test_a_missing_corpus_says_how_to_get_nab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert nab_eval.main([str(tmp_path / "absent"), "--scorer", str(tmp_path / "nab_score.py")]) == 1
    out = capsys.readouterr().out
    assert "git clone https://github.com/numenta/NAB" in out and nab_eval.NAB_COMMIT in out


def test_the_windowed_gaussian_reference_is_causal_and_flags_a_spike() -> None:
    y = np.random.default_rng(1).normal(0, 1, 1000)
    y[700] += 20.0
    full = nab_eval.windowed_gaussian(y)
    assert np.array_equal(nab_eval.windowed_gaussian(y[:600]), full[:600])
    assert full[700] >= 0.5 and full.max() < 1.0


def test_leave_one_category_out_chooses_the_threshold_on_the_other_categories() -> None:
    if not SCORER.is_file():
        pytest.skip(f"the NAB scorer is not at {SCORER} (the shared folder beside the repository)")
    nab = nab_eval.load_scorer(SCORER)
    start = datetime(2020, 1, 1)
    stamps = [start + timedelta(minutes=5 * i) for i in range(100)]
    corpus = [nab.Series("a/x.csv", 100, [(50, 59)], stamps), nab.Series("b/y.csv", 100, [(50, 59)], stamps)]
    a, b = np.zeros(100), np.zeros(100)
    a[50] = 0.9  # category a: a confident hit
    b[50], b[80] = 0.4, 0.9  # category b: a weak hit and a confident false positive
    rows = nab.build_rows(corpus, [a, b])
    result = nab_eval.leave_one_category_out(nab, corpus, [rows], "standard")
    _, threshold_a, _, norm_a = result["categories"]["a"]
    _, threshold_b, raw_b, _ = result["categories"]["b"]
    assert threshold_a == pytest.approx(0.4)  # b's best threshold: its weak hit is worth the false positive
    assert norm_a is not None and norm_a > 90.0
    assert threshold_b == pytest.approx(0.9)  # a's best threshold misses b's window and keeps its false positive
    assert raw_b < -1.0
    # With a second candidate that is better on b only, holding a out picks it; holding b out does not.
    better_b = b.copy()
    better_b[80] = 0.0
    chosen = nab_eval.leave_one_category_out(nab, corpus, [rows, nab.build_rows(corpus, [a, better_b])], "standard")
    assert chosen["categories"]["a"][0] == 1
    assert chosen["categories"]["b"][0] == 0  # a ties between the two, the first is kept

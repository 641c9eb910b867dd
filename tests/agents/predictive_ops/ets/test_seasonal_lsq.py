"""The least-squares initial state of the seasonal models against a dense least-squares fit."""

from __future__ import annotations

import numpy as np

from agents.predictive_ops.ets import seasonal as ets_seasonal
from agents.predictive_ops.ets.seasonal_lsq import lsq_initial_state


def _errors(x: np.ndarray, gains: np.ndarray, phi: np.ndarray, state: tuple[np.ndarray, ...]) -> np.ndarray:
    out = np.empty_like(x)
    ets_seasonal.errors(x, gains, phi, (state[0], state[1], state[2]), out=out)
    return out


def test_equals_a_dense_least_squares_fit_over_every_initial_value() -> None:
    rng = np.random.default_rng(3)
    period, length = 12, 80
    t = np.arange(length)
    y = 5 * np.sin(2 * np.pi * t / period)[:, None] + np.cumsum(rng.normal(0, 0.3, (length, 3)), axis=0)
    x = np.ascontiguousarray(y + rng.normal(0, 1, (length, 3)))
    phi = np.array([0.0, 1.0, 0.9])
    gains = np.array([[0.3, 0.5, 0.2], [0.0, 0.05, 0.04], [0.1, 0.2, 0.4]])
    trend = phi > 0
    start = (np.zeros(3), np.zeros(3), np.zeros((period, 3)))
    solved = lsq_initial_state(x, gains, phi, start, trend, ets_seasonal.errors)
    ours = np.sum(_errors(x, gains, phi, solved) ** 2, axis=0)
    base = _errors(x, gains, phi, start)
    for w in range(3):
        columns = []
        for k in range(period + 2):  # level, trend, every seasonal value: one unit change each
            state = [np.array(s, dtype=float) for s in start]
            if k == 0:
                state[0][w] = 1.0
            elif k == 1:
                state[1][w] = 1.0
            else:
                state[2][k - 2, w] = 1.0
            columns.append(_errors(x, gains, phi, tuple(state))[:, w] - base[:, w])
        design = np.stack(columns, axis=1)
        if not trend[w]:
            design = np.delete(design, 1, axis=1)
        shift = np.linalg.lstsq(design, -base[:, w], rcond=None)[0]
        best = np.sum((base[:, w] + design @ shift) ** 2)
        np.testing.assert_allclose(ours[w], best, rtol=1e-9)
    np.testing.assert_allclose(solved[2].sum(axis=0), 0.0, atol=1e-9)
    assert solved[1][0] == 0.0  # no trend without one

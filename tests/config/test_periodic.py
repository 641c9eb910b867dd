"""The periodic worker calls its function repeatedly, survives failures and stops cleanly."""

from __future__ import annotations

import threading

from config.periodic import PeriodicWorker


def test_runs_survives_a_failure_and_stops() -> None:
    calls: list[int] = []
    enough = threading.Event()

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first call fails")
        if len(calls) >= 3:
            enough.set()

    worker = PeriodicWorker("test-worker", 0.01, work)
    worker.start()
    assert enough.wait(5)
    worker.stop()
    assert not worker.is_alive()
    count = len(calls)
    assert count >= 3
    worker.stop()  # idempotent

"""A named background thread that calls one function every ``interval`` seconds until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Runs ``fn`` on a non-daemon thread; a failed call is logged with its traceback and the loop goes on."""

    def __init__(self, name: str, interval: float, fn: Callable[[], None], join_timeout: float = 10.0) -> None:
        self.name = name
        self._interval = interval
        self._fn = fn
        self._join_timeout = join_timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name=self.name, daemon=False)
        self._thread.start()

    def stop(self) -> None:
        """Signal the thread and wait for it (logged if it does not finish in time)."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(self._join_timeout)
        if thread.is_alive():
            log.error("%s did not stop within %.0f s", self.name, self._join_timeout)
        self._thread = None

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self._fn()
            except Exception:
                log.exception("%s failed; retrying in %.1f s", self.name, self._interval)

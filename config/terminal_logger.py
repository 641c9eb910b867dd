"""The log panel's source: a `logging` handler keeping a bounded ring buffer of display entries.

Library code logs normally (``log.info("...", extra={"log_type": "INCIDENT", "agent": "AlertOps"})``);
this handler turns records into `LogEntry` rows with a monotonically increasing ``seq`` (so the SSE
stream can resume after a given entry) and echoes them to the console according to the mode.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from datetime import UTC, datetime
from typing import TextIO

from config.settings import TerminalOutput
from data.models import LogEntry, LogType
from data.text import escape_controls

# In `selective` mode only these reach the console: what an operator must see even when skimming.
SELECTIVE_TYPES = frozenset(
    {LogType.ERROR, LogType.WARNING, LogType.KILLSWITCH, LogType.INCIDENT, LogType.START, LogType.STOP}
)

# Third-party INFO chatter (HTTP clients, servers) stays out of the operator's panel; their warnings do not.
OWN_LOGGERS = frozenset({"opsforge", "agents", "api", "config", "data", "live_data_generator", "backend_api"})

_LEVEL_TYPES = {logging.ERROR: LogType.ERROR, logging.WARNING: LogType.WARNING, logging.CRITICAL: LogType.ERROR}


class TerminalLogHandler(logging.Handler):
    """Keeps the newest ``capacity`` entries; thread-safe; readers get copies."""

    def __init__(self, capacity: int, mode: TerminalOutput, stream: TextIO | None = None) -> None:
        super().__init__(level=logging.INFO)
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._cond = threading.Condition()
        self._next_seq = 1
        self.mode = mode
        self._stream = stream if stream is not None else sys.stderr

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in OWN_LOGGERS

    def emit(self, record: logging.LogRecord) -> None:
        try:
            log_type = str(getattr(record, "log_type", "") or _LEVEL_TYPES.get(record.levelno, LogType.INFO))
            agent = getattr(record, "agent", None)
            message = record.getMessage()
            if record.exc_info and record.levelno >= logging.ERROR:
                message = f"{message} ({record.exc_info[1]!r})"
            # One record is one line: text from a client (a reason, a label) cannot forge another entry.
            message = escape_controls(message)
            with self._cond:
                entry = LogEntry(
                    seq=self._next_seq,
                    timestamp=datetime.fromtimestamp(record.created, UTC),
                    type=log_type,
                    agent=escape_controls(str(agent)) if agent is not None else None,
                    message=message,
                )
                self._next_seq += 1
                self._entries.append(entry)
                self._cond.notify_all()
            self._echo(entry)
        except Exception:  # logging must never raise into the caller
            self.handleError(record)

    def _echo(self, entry: LogEntry) -> None:
        if self.mode is TerminalOutput.NONE:
            return
        if self.mode is TerminalOutput.SELECTIVE and entry.type not in SELECTIVE_TYPES:
            return
        agent = f" [{entry.agent}]" if entry.agent else ""
        self._stream.write(f"{entry.timestamp:%H:%M:%S} {entry.type:<13}{agent} {entry.message}\n")
        self._stream.flush()

    def entries(self, *, limit: int | None = None, log_type: str | None = None, after_seq: int = 0) -> list[LogEntry]:
        """Return entries in ascending order, optionally of one type, newer than ``after_seq``, the last ``limit``."""
        with self._cond:
            rows = [e for e in self._entries if e.seq > after_seq and (log_type is None or e.type == log_type)]
        return rows[-limit:] if limit else rows

    def wait_for_new(self, after_seq: int, timeout: float) -> bool:
        """Block until an entry newer than ``after_seq`` exists or ``timeout`` passes; return whether one does."""
        with self._cond:
            return self._cond.wait_for(lambda: self._next_seq - 1 > after_seq, timeout=timeout)

    def clear(self) -> None:
        with self._cond:
            self._entries.clear()


def install(capacity: int, mode: TerminalOutput, logger: logging.Logger | None = None) -> TerminalLogHandler:
    """Attach a new handler to ``logger`` (the root logger by default) and return it."""
    handler = TerminalLogHandler(capacity, mode)
    target = logger if logger is not None else logging.getLogger()
    target.addHandler(handler)
    if target.level == logging.NOTSET or target.level > logging.INFO:
        target.setLevel(logging.INFO)
    return handler


def uninstall(handler: TerminalLogHandler, logger: logging.Logger | None = None) -> None:
    (logger if logger is not None else logging.getLogger()).removeHandler(handler)

"""The log-panel handler: ring buffer bound, sequence numbers, console echo by mode, own-logger filter."""

from __future__ import annotations

import io
import logging

from config.settings import TerminalOutput
from config.terminal_logger import TerminalLogHandler


def make(capacity: int, mode: TerminalOutput) -> tuple[logging.Logger, TerminalLogHandler, io.StringIO]:
    stream = io.StringIO()
    handler = TerminalLogHandler(capacity, mode, stream=stream)
    logger = logging.getLogger(f"agents.test.{mode.value}.{capacity}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler, stream


def test_ring_buffer_keeps_newest_with_increasing_seq() -> None:
    logger, handler, _ = make(3, TerminalOutput.NONE)
    for n in range(5):
        logger.info("m%d", n, extra={"log_type": "INCIDENT", "agent": "AlertOps"})
    entries = handler.entries()
    assert [e.message for e in entries] == ["m2", "m3", "m4"]
    assert [e.seq for e in entries] == [3, 4, 5]
    assert handler.entries(after_seq=4)[0].message == "m4"
    assert entries[0].agent == "AlertOps" and entries[0].type == "INCIDENT"


def test_echo_modes() -> None:
    logger, _, full = make(10, TerminalOutput.FULL)
    logger.info("routine", extra={"log_type": "METRICS"})
    assert "routine" in full.getvalue()
    logger, _, selective = make(11, TerminalOutput.SELECTIVE)
    logger.info("routine", extra={"log_type": "METRICS"})
    logger.info("new incident", extra={"log_type": "INCIDENT"})
    assert "routine" not in selective.getvalue() and "new incident" in selective.getvalue()
    logger, handler, silent = make(12, TerminalOutput.NONE)
    logger.error("boom")
    assert silent.getvalue() == "" and handler.entries()[0].type == "ERROR"


def test_third_party_info_is_filtered() -> None:
    handler = TerminalLogHandler(10, TerminalOutput.NONE)
    other = logging.getLogger("somelib.client")
    record = other.makeRecord("somelib.client", logging.INFO, __file__, 1, "GET /", (), None)
    assert not handler.filter(record)
    warning = other.makeRecord("somelib.client", logging.WARNING, __file__, 1, "retrying", (), None)
    assert handler.filter(warning)


def test_a_message_with_control_characters_stays_one_line() -> None:
    logger, handler, stream = make(10, TerminalOutput.FULL)
    reason = "ok\n12:00:00 KILLSWITCH     Kill switch deactivated by admin\x1b[2K"
    logger.warning("Kill switch activated by %s: %s", "otto", reason, extra={"agent": "a\rb"})
    assert stream.getvalue().count("\n") == 1
    entry = handler.entries()[-1]
    assert "\n" not in entry.message and "\\n12:00:00 KILLSWITCH" in entry.message and "\\x1b[2K" in entry.message
    assert entry.agent == "a\\rb"

"""One-line text: control characters are refused by the model type and escaped for display."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from data.text import OneLine, escape_controls

ONE_LINE: TypeAdapter[str] = TypeAdapter(OneLine)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "\x1b[31mred", "nul\x00", "del\x7f", "nel\x85", "ls\u2028", "tab\t"])
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        ONE_LINE.validate_python(text)


def test_printable_text_passes_unchanged() -> None:
    text = "Change freeze: ünïcode, emoji 🚦, quotes \"'\\ and spaces"
    assert ONE_LINE.validate_python(text) == text and escape_controls(text) == text


def test_escapes_keep_one_line() -> None:
    assert escape_controls("ok\n12:00:00 KILLSWITCH forged") == "ok\\n12:00:00 KILLSWITCH forged"
    assert escape_controls("\x1b[2J\r\u2028\x85") == "\\x1b[2J\\r\\u2028\\x85"

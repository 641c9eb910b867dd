"""Free text that ends up in the log panel, the console and the audit trail: no control characters.

A newline in a client's ``reason`` would otherwise start a line of its own in the console and the log panel,
one that reads like a record the service never wrote."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

# C0 and C1 controls and DEL, plus the Unicode line and paragraph separators that some viewers break on.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"

# A single line of text as accepted from a client: any printable character, no control characters.
OneLine = Annotated[str, StringConstraints(pattern=NO_CONTROL_PATTERN)]


def escape_controls(text: str) -> str:
    """Return ``text`` with each control character written as an escape (``\\n``, ``\\x1b``, ``\\u2028``)."""
    # repr writes every one of them as an escape, never as itself (none is printable).
    return CONTROL_CHARS.sub(lambda match: repr(match.group())[1:-1], text)

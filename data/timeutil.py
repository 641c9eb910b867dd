"""UTC time helpers: every timestamp in OpsForge is timezone-aware UTC and serialises with a trailing ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


def utc_now() -> datetime:
    """Return the current wall-clock time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are refused because their zone is unknown."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a time zone (e.g. a trailing 'Z')")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:30:00-01:00: in UTC, after the last representable year
        raise ValueError("timestamp is out of range in UTC") from None


def iso_z(value: datetime) -> str:
    """Return ISO-8601 text in UTC with a ``Z`` suffix, e.g. ``2026-11-24T20:00:00.123Z``."""
    if value.tzinfo is not UTC:  # values are normally UTC already; skip the conversion on the hot path
        value = to_utc(value)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The same instants are formatted several times per alert (its record, its incident's timeline and dates, batch
# after batch while it is touched); a memo of the pure function spares the repeats. Bounded, thread-safe. Only
# UTC values are memoised: equal datetimes of another zone can be different instants (a repeated local hour).
_iso_utc = lru_cache(maxsize=16_384)(iso_z)


def iso_text(value: datetime) -> str:
    """Return `iso_z` of ``value``."""
    return _iso_utc(value) if value.tzinfo is UTC else iso_z(value)


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601 text (``Z`` or an offset) into an aware UTC datetime."""
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


UtcDatetime = Annotated[
    datetime,
    AfterValidator(to_utc),
    PlainSerializer(iso_z, return_type=str, when_used="json"),
]
"""An aware UTC datetime field: naive input is a validation error, JSON output ends with ``Z``."""


def age_text(moment: datetime, now: datetime) -> str:
    """Return the seed's relative age text: 'Just now', 'N min ago', 'N hour(s) ago', 'N day(s) ago'."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "Just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours > 1 else ''} ago"
    days = seconds // 86400
    return f"{days} day{'s' if days > 1 else ''} ago"

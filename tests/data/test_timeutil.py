"""UTC text: the memoised ISO form is the plain one for every zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from data.timeutil import UtcDatetime, iso_text, iso_z, parse_iso

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_iso_text_equals_iso_z_for_any_zone() -> None:
    repeated = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # this local hour happens twice
    moments = [T0, T0 + timedelta(microseconds=1500), T0.astimezone(timezone(timedelta(hours=5, minutes=30)))]
    for moment in [*moments, repeated, repeated.replace(fold=1)]:
        assert iso_text(moment) == iso_z(moment)
    assert iso_text(repeated) != iso_text(repeated.replace(fold=1))  # equal datetimes, different instants


def test_a_number_is_not_a_time() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(UtcDatetime)
    for number in (0, 1_764_000_000, 1.5e12, True, "1764000000", "0.5", " -1e3 "):
        with pytest.raises(ValidationError, match="ISO-8601"):
            adapter.validate_python(number)
        with pytest.raises(ValidationError, match="ISO-8601"):
            adapter.validate_json(str(number).lower())
    assert adapter.validate_json('"2026-11-24T10:00:00Z"').isoformat() == "2026-11-24T10:00:00+00:00"


def test_a_time_out_of_range_in_utc_is_a_value_error_not_an_overflow() -> None:
    for text in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"):
        with pytest.raises(ValueError, match="out of range"):
            parse_iso(text)

"""UTC text: the memoised ISO form is the plain one for every zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from data.timeutil import iso_text, iso_z, parse_iso

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_iso_text_equals_iso_z_for_any_zone() -> None:
    repeated = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))  # this local hour happens twice
    moments = [T0, T0 + timedelta(microseconds=1500), T0.astimezone(timezone(timedelta(hours=5, minutes=30)))]
    for moment in [*moments, repeated, repeated.replace(fold=1)]:
        assert iso_text(moment) == iso_z(moment)
    assert iso_text(repeated) != iso_text(repeated.replace(fold=1))  # equal datetimes, different instants


def test_a_time_out_of_range_in_utc_is_a_value_error_not_an_overflow() -> None:
    for text in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"):
        with pytest.raises(ValueError, match="out of range"):
            parse_iso(text)

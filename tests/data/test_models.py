"""Domain models at the boundary: event times, the zero end time, tenant names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from data.models import AlertIn, TenantName, TopologyIn


def alert(**fields: Any) -> AlertIn:
    return AlertIn.model_validate({"labels": {"alertname": "DbDown"}, "startsAt": "2026-05-01T12:00:00Z"} | fields)


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:00Z", "1969-12-31T00:00:00Z"]
)
@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
def test_event_times_outside_the_range_are_a_validation_error_naming_the_field(field: str, text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        alert(**{field: text})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_a_zero_end_time_means_no_end_and_a_zero_start_time_is_refused() -> None:
    for zero in (0, "0", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"):
        assert alert(endsAt=zero).endsAt is None
    with pytest.raises(ValidationError):
        alert(startsAt=0)


def test_an_end_before_the_start_is_refused_and_an_equal_one_accepted() -> None:
    with pytest.raises(ValidationError, match="endsAt must not be before startsAt"):
        alert(endsAt="2026-05-01T11:59:59Z")
    assert alert(endsAt="2026-05-01T12:00:00Z").endsAt == datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("name", ["a/b", "../etc", "", " acme", "acme\n", "-acme", "x" * 64, "ac me", "ac%2Fme"])
def test_one_tenant_name_pattern_for_alerts_topologies_and_queries(name: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(TenantName).validate_python(name)
    with pytest.raises(ValidationError):
        TopologyIn.model_validate({"tenant": name, "services": []})
    if name:  # an empty tenant label is the default tenant
        with pytest.raises(ValidationError):
            alert(labels={"alertname": "DbDown", "tenant": name})


def test_ordinary_tenant_names_pass() -> None:
    for name in ("acme", "acme-eu.1", "tenant_07", "A" * 63):
        assert TypeAdapter(TenantName).validate_python(name) == name
        assert alert(labels={"alertname": "DbDown", "tenant": name}).labels["tenant"] == name

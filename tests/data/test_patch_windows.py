"""Maintenance windows: per tenant, default, wrapping past midnight, bad specs refused by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data.errors import InvalidInput
from data.patch_windows import MaintenanceWindows


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


def test_windows_per_tenant_with_a_default_and_midnight_wrap() -> None:
    windows = MaintenanceWindows("acme=22:00-06:00, globex=01:00-05:00,*=00:00-24:00")
    assert windows.is_open("acme", at(23)) and windows.is_open("acme", at(5, 59))
    assert not windows.is_open("acme", at(6)) and not windows.is_open("acme", at(12))
    assert windows.is_open("globex", at(1)) and not windows.is_open("globex", at(5))
    assert windows.is_open("initech", at(12))  # the default: all day
    assert MaintenanceWindows().is_open("anyone", at(3))
    assert not MaintenanceWindows("acme=01:00-02:00").is_open("acme", at(3))
    assert MaintenanceWindows("acme=01:00-02:00").is_open("globex", at(3))


@pytest.mark.parametrize("spec", ["acme", "acme=25:00-01:00", "acme=01:00-24:30", "=01:00-02:00", "acme=1-2"])
def test_bad_specs_name_the_setting(spec: str) -> None:
    with pytest.raises(InvalidInput) as error:
        MaintenanceWindows(spec)
    assert error.value.field == "PATCH_MAINTENANCE_WINDOWS"

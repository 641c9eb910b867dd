"""Alert classes: hygiene (local maintenance) and availability (a host or target cannot be reached)."""

from __future__ import annotations

from agents.alert_ops.signals import is_availability, is_hygiene


def test_a_restart_is_maintenance_but_a_restart_loop_is_a_crash_symptom() -> None:
    assert is_hygiene("ServiceRestarted", 0)
    assert not is_hygiene("ContainerRestartLoop", 3)
    assert not is_hygiene("PodRestartingInLoop", 2)


def test_availability_names_are_a_general_class() -> None:
    for name in ("InstanceDown", "NodeDown", "HostUnreachable", "TargetDown", "host_is_down", "NodeOffline"):
        assert is_availability(name), name
    for name in ("ServiceDown", "HighLatencyP99", "DiskSpaceWarning", "ErrorRateHigh"):
        assert not is_availability(name), name

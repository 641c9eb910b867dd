"""Label helpers shared by every agent and source."""

from data.labels import host_of, label_fingerprint


def test_fingerprint_is_stable_and_order_free() -> None:
    a = {"alertname": "X", "instance": "h1", "severity": "high"}
    b = {"severity": "high", "instance": "h1", "alertname": "X"}
    assert label_fingerprint(a) == label_fingerprint(b) and len(label_fingerprint(a)) == 16
    assert label_fingerprint(a) != label_fingerprint({**a, "instance": "h2"})


def test_fingerprint_frames_names_and_values() -> None:
    assert label_fingerprint({"a": "b=c"}) != label_fingerprint({"a=b": "c"})


def test_host_of_strips_the_port() -> None:
    assert host_of("web-1:9100") == "web-1"
    assert host_of("[::1]:9100") == "::1"
    assert host_of("web-1") == "web-1"
    assert host_of("db:primary") == "db:primary"

"""Error answers: a domain error's field path as a validation error's loc."""

from __future__ import annotations

from api.errors import field_loc


def test_field_paths_become_locs() -> None:
    assert field_loc("alerts[1].startsAt") == ["alerts", 1, "startsAt"]
    assert field_loc("labels.host") == ["labels", "host"]
    assert field_loc("since") == ["since"]
    assert field_loc("a[x][2]") == ["a", "x", 2]

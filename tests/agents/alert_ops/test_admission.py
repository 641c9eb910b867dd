"""What the engine accepts: sizes of labels and annotations, and times ahead of the receiver's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agents.alert_ops.admission import AlertLimits, check_batch
from data.errors import InvalidInput
from data.models import AlertIn
from tests.agents.builders import T0

LIMITS = AlertLimits(max_labels=4, max_label_name_chars=9, max_label_value_chars=16, max_annotation_bytes=32)


def alert(**extra: object) -> AlertIn:
    fields: dict[str, object] = {"labels": {"alertname": "DbDown"}, "startsAt": T0} | extra
    return AlertIn.model_validate(fields)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (alert(labels={f"l{i}": "v" for i in range(5)}), "alerts[1].labels"),
        (alert(labels={"alertname": "x", "very_long_name": "v"}), "alerts[1].labels"),
        (alert(labels={"alertname": "x" * 17}), "alerts[1].labels.alertname"),
        (alert(annotations={"summary": "é" * 13}), "alerts[1].annotations"),  # 26 characters, 33 bytes
        (alert(startsAt=T0 + timedelta(minutes=6)), "alerts[1].startsAt"),
        (alert(endsAt=T0 + timedelta(hours=24, minutes=6)), "alerts[1].endsAt"),
    ],
)
def test_the_first_field_over_a_limit_is_named(bad: AlertIn, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_batch([alert(), bad], LIMITS, received_at=T0)
    assert refused.value.field == field


def test_at_the_limits_is_accepted_and_without_a_receivers_clock_times_are_not_bounded() -> None:
    at_limits = alert(
        labels={"alertname": "x" * 16, "abcdefgh": "v", "c": "v", "d": "v"},
        annotations={"summary": "é" * 12 + "1234567"},  # 7 + 24 + 7 = 38 bytes
        startsAt=T0 + timedelta(minutes=5),
        endsAt=T0 + timedelta(hours=24, minutes=5),
    )
    check_batch([at_limits], AlertLimits(max_labels=4, max_label_name_chars=9, max_label_value_chars=16,
                                         max_annotation_bytes=38), received_at=T0)  # fmt: skip
    check_batch([alert(startsAt=T0 + timedelta(days=365))], LIMITS, received_at=None)  # a simulator's own clock

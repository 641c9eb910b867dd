"""What the alert engine accepts: every alert of a batch is checked before the first one is applied.

The schema (`data.models.AlertIn`) already refuses what is wrong in any deployment (a time zone-less or
out-of-range time, an ``endsAt`` before its ``startsAt``, a tenant label that is not a tenant name). The
checks here depend on the deployment's settings: label and annotation sizes (they are held in memory
and stored with every alert), and, for alerts received from a sender, how far ahead of the receiver's
clock their times may be (a sender's clock is not trusted to move event time into the future).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from data.errors import InvalidInput
from data.models import AlertIn


@dataclass(frozen=True)
class AlertLimits:
    """Bounds on one alert (settings ``ALERT_MAX_*``)."""

    max_labels: int = 64
    max_label_name_chars: int = 256
    max_label_value_chars: int = 4_096
    max_annotation_bytes: int = 65_536  # all annotation names and values of one alert, UTF-8
    # How far ahead of the receiver's clock a startsAt may be (clocks of senders and receiver differ a little).
    max_clock_skew: timedelta = timedelta(minutes=5)
    # How much further an endsAt may be: a firing alert's endsAt is its sender's estimate of when it times out.
    max_ends_ahead: timedelta = timedelta(hours=24)


def check_batch(alerts: Sequence[AlertIn], limits: AlertLimits, received_at: datetime | None) -> None:
    """Raise `InvalidInput` naming the first field (``alerts[i].labels``, ``alerts[i].startsAt``, ...) of
    ``alerts`` over ``limits``; with ``received_at`` (the receiver's clock), also for times too far ahead of it."""
    latest_start = received_at + limits.max_clock_skew if received_at is not None else None
    latest_end = latest_start + limits.max_ends_ahead if latest_start is not None else None
    for i, alert in enumerate(alerts):
        where = f"alerts[{i}]"
        _check_labels(f"{where}.labels", alert.labels, limits)
        size = sum(len(k.encode()) + len(v.encode()) for k, v in alert.annotations.items())
        if size > limits.max_annotation_bytes:
            raise InvalidInput(f"{where}.annotations", f"{size} bytes, at most {limits.max_annotation_bytes}")
        if latest_start is not None and alert.startsAt > latest_start:
            raise InvalidInput(
                f"{where}.startsAt",
                f"{alert.startsAt.isoformat()} is more than {limits.max_clock_skew} ahead of the receiver's clock",
            )
        if latest_end is not None and alert.endsAt is not None and alert.endsAt > latest_end:
            raise InvalidInput(
                f"{where}.endsAt",
                f"{alert.endsAt.isoformat()} is more than {limits.max_clock_skew + limits.max_ends_ahead} ahead of "
                "the receiver's clock",
            )


def _check_labels(where: str, labels: Mapping[str, str], limits: AlertLimits) -> None:
    if len(labels) > limits.max_labels:
        raise InvalidInput(where, f"{len(labels)} labels, at most {limits.max_labels}")
    for name, value in labels.items():
        if len(name) > limits.max_label_name_chars:
            raise InvalidInput(where, f"a label name of {len(name)} characters, at most {limits.max_label_name_chars}")
        if len(value) > limits.max_label_value_chars:
            raise InvalidInput(f"{where}.{name}", f"{len(value)} characters, at most {limits.max_label_value_chars}")

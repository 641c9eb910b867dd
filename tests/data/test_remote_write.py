"""Remote-write bodies: decoded like Prometheus encodes them; bad, oversized and hostile bodies refused by name."""

from __future__ import annotations

import math
import struct

import cramjam
import pytest

from data.errors import InvalidInput
from data.remote_write import WriteRequest, decode, encode

LIMITS = {"max_bytes": 1 << 20, "max_samples": 1000}
STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]  # Prometheus' staleness marker


def test_samples_keep_their_labels_and_times_and_unusable_ones_are_counted() -> None:
    body = encode([
        ({"__name__": "node_disk", "instance": "web-1:9100", "metric": "disk"}, [(1_700_000_000_000, 71.5)]),
        ({"__name__": "node_disk", "instance": "web-2:9100"}, [(1_700_000_000_500, 12.0), (1_700_000_001_000, STALE)]),
        ({"__name__": "up", "job": "node"}, [(1_700_000_000_000, 1.0)]),  # no host
    ])  # fmt: skip
    decoded = decode(body, **LIMITS)
    assert [(s.labels.get("instance"), s.timestamp.timestamp(), s.value) for s in decoded.samples] == [
        ("web-1:9100", 1_700_000_000.0, 71.5),
        ("web-2:9100", 1_700_000_000.5, 12.0),
    ]
    assert decoded.skipped_nonfinite == 1 and decoded.skipped_unnamed == 1
    assert math.isnan(STALE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "length header"),
        (b"\x05not snappy at all", "snappy"),
        (bytes(cramjam.snappy.compress_raw(b"\x0a\x05\xff\xff")), "WriteRequest"),
    ],
)
def test_a_body_that_is_not_remote_write_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        decode(body, **LIMITS)
    assert raised.value.field == "body"


def test_a_small_body_that_would_decompress_huge_is_refused_before_decompressing() -> None:
    bomb = bytes(cramjam.snappy.compress_raw(b"\x00" * (2 << 20)))
    assert len(bomb) < 200_000
    with pytest.raises(InvalidInput, match="decompresses to"):
        decode(bomb, **LIMITS)


def test_too_many_samples_and_impossible_times_are_refused() -> None:
    many = encode([({"__name__": "x", "host": "h"}, [(i, 1.0) for i in range(1001)])])
    with pytest.raises(InvalidInput, match="1001 samples"):
        decode(many, **LIMITS)
    request = WriteRequest()
    series = request.timeseries.add()
    series.labels.add(name="host", value="h")
    series.labels.add(name="metric", value="disk")
    series.samples.add(timestamp=2**62, value=1.0)
    with pytest.raises(InvalidInput, match="out of range"):
        decode(bytes(cramjam.snappy.compress_raw(request.SerializeToString())), **LIMITS)

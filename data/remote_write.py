"""Prometheus remote-write bodies: snappy-compressed (block format) protobuf `prometheus.WriteRequest`.

The message types are declared here from the remote-write 1.0 specification (the subset we read:
time series, their labels and float samples); fields we do not declare (metadata, exemplars, native
histograms) are skipped by the protobuf parser. Decompression goes through cramjam's snappy, after
the declared uncompressed length has been checked against a limit, so a small body cannot make the
server allocate a large buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from data.errors import InvalidInput
from data.models import MetricSampleIn

FIELD = descriptor_pb2.FieldDescriptorProto
SOURCE = "prometheus-remote-write"  # how series written through remote-write are labelled


def _message_types() -> tuple[type[Any], type[Any]]:
    """Build the WriteRequest and TimeSeries classes (field numbers as Prometheus' prompb/types.proto)."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="opsforge_remote_write.proto", package="prometheus", syntax="proto3"
    )

    def message(name: str, fields: list[tuple[str, int, int, int, str | None]]) -> None:
        spec = proto.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            item = spec.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name is not None:
                item.type_name = type_name

    optional, repeated = FIELD.LABEL_OPTIONAL, FIELD.LABEL_REPEATED
    message("Label", [("name", 1, FIELD.TYPE_STRING, optional, None), ("value", 2, FIELD.TYPE_STRING, optional, None)])
    message(
        "Sample", [("value", 1, FIELD.TYPE_DOUBLE, optional, None), ("timestamp", 2, FIELD.TYPE_INT64, optional, None)]
    )
    message(
        "TimeSeries",
        [
            ("labels", 1, FIELD.TYPE_MESSAGE, repeated, ".prometheus.Label"),
            ("samples", 2, FIELD.TYPE_MESSAGE, repeated, ".prometheus.Sample"),
        ],
    )
    message("WriteRequest", [("timeseries", 1, FIELD.TYPE_MESSAGE, repeated, ".prometheus.TimeSeries")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    write = message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.WriteRequest"))
    series = message_factory.GetMessageClass(pool.FindMessageTypeByName("prometheus.TimeSeries"))
    return write, series


WriteRequest, TimeSeries = _message_types()


@dataclass(frozen=True)
class Decoded:
    """The samples of a remote-write body that OpsForge can store, and how many it skipped and why."""

    samples: list[MetricSampleIn]
    skipped_nonfinite: int  # staleness markers and NaN/Inf values
    skipped_unnamed: int  # samples of series without a host (host|instance) or metric (metric|__name__) label


def _uncompressed_length(body: bytes) -> int:
    """Return the length a snappy block declares in its leading varint."""
    length, shift = 0, 0
    for i, byte in enumerate(body[:10]):
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return length
        shift += 7
        if i == 9:
            break
    raise InvalidInput("body", "not a snappy block (bad length header)")


def decode(body: bytes, *, max_bytes: int, max_samples: int) -> Decoded:
    """Return the samples of a remote-write ``body``; `InvalidInput` naming ``body`` when it is not snappy,
    not a WriteRequest, would decompress to more than ``max_bytes``, or holds more than ``max_samples``."""
    if not body:
        raise InvalidInput("body", "empty remote-write body")
    declared = _uncompressed_length(body)
    if declared > max_bytes:
        raise InvalidInput("body", f"decompresses to {declared} bytes, more than {max_bytes}")
    try:
        raw = bytes(cramjam.snappy.decompress_raw(body))
    except Exception:  # cramjam raises its own DecompressionError for any malformed block
        raise InvalidInput("body", "not a snappy-compressed block") from None
    request = WriteRequest()
    try:
        request.ParseFromString(raw)
    except DecodeError:
        raise InvalidInput("body", "not a Prometheus WriteRequest") from None
    total = sum(len(series.samples) for series in request.timeseries)
    if total > max_samples:
        raise InvalidInput("body", f"{total} samples, more than {max_samples}")
    samples: list[MetricSampleIn] = []
    nonfinite = unnamed = 0
    for series in request.timeseries:
        labels = {label.name: label.value for label in series.labels}
        if not (labels.get("host") or labels.get("instance")) or not (labels.get("metric") or labels.get("__name__")):
            unnamed += len(series.samples)
            continue
        for sample in series.samples:
            if not math.isfinite(sample.value):
                nonfinite += 1
                continue
            try:
                at = datetime.fromtimestamp(sample.timestamp / 1000, UTC)
            except (OverflowError, OSError, ValueError):
                raise InvalidInput(
                    "body.timeseries.samples.timestamp", f"{sample.timestamp} ms is out of range"
                ) from None
            samples.append(MetricSampleIn(labels=labels, timestamp=at, value=sample.value))
    return Decoded(samples, nonfinite, unnamed)


def encode(series: list[tuple[dict[str, str], list[tuple[int, float]]]]) -> bytes:
    """Return a snappy-compressed WriteRequest of (labels, [(timestamp ms, value)]) (for tests and tools)."""
    request = WriteRequest()
    for labels, points in series:
        item = request.timeseries.add()
        for name in sorted(labels):
            item.labels.add(name=name, value=labels[name])
        for at, value in points:
            item.samples.add(timestamp=at, value=value)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))

"""Helpers over Prometheus-style label sets that every agent and source shares."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

DEFAULT_TENANT = "default"  # the tenant of an alert or series without a ``tenant`` label


def tenant_of_labels(labels: Mapping[str, str]) -> str:
    """Return the tenant a label set belongs to: its ``tenant`` label, else the default tenant."""
    return labels.get("tenant") or DEFAULT_TENANT


def label_fingerprint(labels: dict[str, str]) -> str:
    """Return a stable 16-hex-digit hash of the sorted label set (independent of label order).

    Names and values are framed by bytes that cannot occur in UTF-8 text, so no two different label
    sets share the hashed bytes.
    """
    parts: list[bytes] = []
    for name in sorted(labels):
        parts += (name.encode(), b"\xff", labels[name].encode(), b"\xfe")
    return hashlib.sha256(b"".join(parts)).hexdigest()[:16]  # one update: same bytes as one per part


def host_of(instance: str) -> str:
    """Return the host part of a Prometheus ``instance`` label (``web-1:9100`` -> ``web-1``)."""
    if instance.startswith("["):  # [ipv6]:port
        return instance[1 : instance.find("]")] if "]" in instance else instance
    head, sep, tail = instance.rpartition(":")
    return head if sep and tail.isdigit() else instance

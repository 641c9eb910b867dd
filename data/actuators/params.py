"""Checks on what an action hands to a real back-end: a target that names one host, parameters that are data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from data.errors import InvalidInput

_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
_PARAM = re.compile(r"[a-z][a-z0-9_]{0,63}")
_TEMPLATE_MARKS = ("{{", "{%", "{#")
_RESERVED_PREFIXES = ("ansible_", "opsforge_")
_MAX_DEPTH = 8


def check_target(target: str) -> str:
    """Return ``target`` if it names one host or service; a pattern (``all``, ``*``, ``a:b``) is refused."""
    if not _HOST.fullmatch(target) or target == "all":
        raise InvalidInput("target", "must be one host or service name (letters, digits, '.', '_', '-')")
    return target


def _check_value(value: Any, field: str, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        raise InvalidInput(field, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, str):
        if any(mark in value for mark in _TEMPLATE_MARKS):
            raise InvalidInput(field, "template markers ({{, {%, {#) are not allowed in parameters")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_value(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{field}[{index}]", depth + 1)
    elif isinstance(value, float) and value != value:  # NaN is not data a runbook can act on
        raise InvalidInput(field, "NaN is not allowed")


def check_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``params`` if every name is a plain identifier (not an Ansible or OpsForge reserved name) and every
    value is plain data (no templates, which a playbook would evaluate); raise InvalidInput naming the field."""
    for name, value in params.items():
        field = f"params.{name}"
        if not _PARAM.fullmatch(name) or name.startswith(_RESERVED_PREFIXES):
            raise InvalidInput(field, "parameter names are lower-case identifiers not starting with ansible_/opsforge_")
        _check_value(value, field)
    return dict(params)

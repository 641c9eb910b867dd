"""Vendor patch advisories as OpsForge stores them, and the shape an operator posts one in."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from data.models import Model, Severity
from data.timeutil import UtcDatetime

Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+~-]*$")]


class Advisory(Model):
    """A published vendor advisory, as an operator would read it."""

    id: str
    package: str
    fixed_version: str
    severity: Severity
    cvss: float = Field(ge=0.0, le=10.0)
    affected_os: list[str]
    affected_versions: list[str] = Field(
        default_factory=list, description="versions known to be affected; empty = every version before the fix"
    )
    affected_hosts: list[str] = Field(
        default_factory=list, description="hosts running an affected version when it was published"
    )
    published_at: UtcDatetime
    summary: str = ""
    source: str = "feed"


class AdvisoryIn(Model):
    """An advisory posted to ``POST /api/patches/advisories``; every field is bounded and checked."""

    id: Name
    package: Name
    fixed_version: Name
    severity: Severity
    cvss: float = Field(ge=0.0, le=10.0, allow_inf_nan=False)
    affected_os: list[Name] = Field(min_length=1, max_length=32)
    affected_versions: list[Name] = Field(default_factory=list, max_length=256)
    published_at: UtcDatetime | None = None
    summary: str = Field(default="", max_length=2000)

    @field_validator("fixed_version")
    @classmethod
    def _has_a_number(cls, value: str) -> str:
        if not re.search(r"\d", value):
            raise ValueError("a version needs at least one number to be compared")
        return value


def version_key(version: str) -> tuple[int, ...]:
    """Return the numbers of ``version`` in order, the comparison key used for "before the fix"."""
    return tuple(int(n) for n in re.findall(r"\d+", version))

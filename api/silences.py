"""Silences (maintenance windows): create with Alertmanager-style matchers, list, expire (audited)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import Authorized, SilencesDep
from config.silences import MAX_MATCHERS, Matcher, Silence, SilenceState
from data.errors import NotFound
from data.timeutil import UtcDatetime, utc_now

router = APIRouter(prefix="/api", tags=["silences"])


class SilenceCreate(BaseModel):
    tenant: str = Field(min_length=1, max_length=200, description='the tenant it applies to; "*" for every tenant')
    matchers: list[Matcher] = Field(min_length=1, max_length=MAX_MATCHERS)
    startsAt: UtcDatetime | None = Field(default=None, description="default and earliest: now")
    endsAt: UtcDatetime
    comment: str = Field(min_length=1, max_length=1000)
    createdBy: str = Field(min_length=1, max_length=100)


class SilenceStatus(BaseModel):
    state: SilenceState


class SilenceOut(Silence):
    status: SilenceStatus


class StateFilter(StrEnum):
    CURRENT = "current"


def out(silence: Silence) -> SilenceOut:
    return SilenceOut(**silence.model_dump(), status=SilenceStatus(state=silence.state(utc_now())))


@router.post("/silences", response_model=SilenceOut, status_code=status.HTTP_201_CREATED, dependencies=[Authorized])
def create_silence(body: SilenceCreate, silences: SilencesDep) -> SilenceOut:
    """Create a silence; bad matchers, regexes or windows are a 422 naming the field."""
    return out(
        silences.create(
            tenant=body.tenant, matchers=body.matchers, starts_at=body.startsAt, ends_at=body.endsAt,
            comment=body.comment, created_by=body.createdBy,
        )
    )  # fmt: skip


@router.get("/silences", response_model=list[SilenceOut])
def list_silences(
    silences: SilencesDep,
    response: Response,
    tenant: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[StateFilter | None, Query(description="current: pending or active, not yet over")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="X-Next-Cursor of the previous page")] = None,
) -> list[SilenceOut]:
    """Silences, latest end first; the next page's cursor is in the ``X-Next-Cursor`` header."""
    page = silences.page(tenant=tenant, current=state is StateFilter.CURRENT, limit=limit, cursor=cursor)
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return [out(silence) for silence in page.items]


@router.get("/silences/{silence_id}", response_model=SilenceOut)
def get_silence(silence_id: str, silences: SilencesDep) -> SilenceOut:
    silence = silences.get(silence_id)
    if silence is None:
        raise NotFound(f"silence {silence_id} not found")
    return out(silence)


@router.delete("/silences/{silence_id}", response_model=SilenceOut, dependencies=[Authorized])
def expire_silence(
    silence_id: str,
    silences: SilencesDep,
    actor: Annotated[str, Query(min_length=1, max_length=100)] = "api",
    reason: Annotated[str, Query(max_length=500)] = "",
) -> SilenceOut:
    """Expire a silence now (409 if it is already over); the record is kept, as in Alertmanager."""
    return out(silences.expire(silence_id, actor=actor, reason=reason))

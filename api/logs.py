"""The log panel: recent entries, a Server-Sent Events stream, clearing, and the console echo mode."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import Authorized, LogHandlerDep
from config.settings import TerminalOutput
from data.models import LogEntry

router = APIRouter(prefix="/api", tags=["logs"])

SEQ = re.compile(r"[0-9]{1,18}")
STREAM_POLL_S = 0.25
STREAM_HEARTBEAT_S = 15.0


class LogsOut(BaseModel):
    logs: list[LogEntry]
    count: int
    filter: str


class ClearedOut(BaseModel):
    status: str


class ModeIn(BaseModel):
    mode: TerminalOutput


class ModeOut(BaseModel):
    mode: TerminalOutput
    message: str | None = None


@router.get("/logs", response_model=LogsOut)
def get_logs(
    handler: LogHandlerDep,
    limit: Annotated[int, Query(ge=0, le=100_000, description="newest N entries; 0 = all")] = 1000,
    log_type: Annotated[str | None, Query(max_length=32, description="exact type, or ALL")] = None,
    after_seq: Annotated[int, Query(ge=0, description="only entries newer than this seq")] = 0,
) -> LogsOut:
    wanted = None if log_type in (None, "", "ALL") else log_type
    rows = handler.entries(limit=limit or None, log_type=wanted, after_seq=after_seq)
    return LogsOut(logs=rows, count=len(rows), filter=wanted or "ALL")


@router.post("/logs/clear", response_model=ClearedOut, dependencies=[Authorized])
def clear_logs(handler: LogHandlerDep) -> ClearedOut:
    handler.clear()
    return ClearedOut(status="cleared")


@router.get("/terminal-output-mode", response_model=ModeOut)
def get_mode(handler: LogHandlerDep) -> ModeOut:
    return ModeOut(mode=handler.mode)


@router.post("/terminal-output-mode", response_model=ModeOut, dependencies=[Authorized])
def set_mode(body: ModeIn, handler: LogHandlerDep) -> ModeOut:
    handler.mode = body.mode
    return ModeOut(mode=body.mode, message=f"Terminal output mode set to '{body.mode.value}'")


@router.get("/logs/stream", response_class=StreamingResponse)
async def stream_logs(
    request: Request,
    handler: LogHandlerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    tail: Annotated[int, Query(ge=0, le=1000, description="recent entries to send first")] = 100,
) -> StreamingResponse:
    """Stream entries as SSE events (``id`` = seq); a reconnect with Last-Event-ID resumes without gaps."""
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    resume = int(last_event_id) if last_event_id and SEQ.fullmatch(last_event_id) else None

    async def events() -> AsyncIterator[str]:
        backlog = handler.entries(after_seq=resume) if resume is not None else handler.entries(limit=tail or None)
        if resume is None and tail == 0:
            backlog = []
        seq = backlog[-1].seq if backlog else (resume or _last_seq(handler))
        for entry in backlog:
            yield _event(entry)
        idle = 0.0
        while not await request.is_disconnected():
            fresh = handler.entries(after_seq=seq)
            for entry in fresh:
                yield _event(entry)
                seq = entry.seq
            if fresh:
                idle = 0.0
            elif idle >= STREAM_HEARTBEAT_S:
                yield ": keep-alive\n\n"
                idle = 0.0
            await asyncio.sleep(STREAM_POLL_S)
            idle += STREAM_POLL_S

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _last_seq(handler: LogHandlerDep) -> int:
    newest = handler.entries(limit=1)
    return newest[-1].seq if newest else 0


def _event(entry: LogEntry) -> str:
    return f"id: {entry.seq}\ndata: {json.dumps(entry.model_dump(mode='json'))}\n\n"

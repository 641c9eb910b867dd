"""The built dashboard at `/`, with a single-page-app fallback that never shadows `/api/*`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.errors import DASHBOARD_ROUTE, methods_of
from api.security import grant_local_session


def serve_dashboard(app: FastAPI, dist: Path) -> None:
    """Serve the built dashboard at `/` with an SPA fallback that never shadows `/api/*`.

    An API path with another method is 405, an unknown one 404; the page itself carries the local session
    cookie when the browser is on this machine (`api.security.grant_local_session`)."""
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False, name=DASHBOARD_ROUTE)
    def spa(path: str, request: Request) -> FileResponse:
        if path == "api" or path.startswith("api/"):
            allowed = methods_of(app, f"/{path}")
            if allowed:
                raise HTTPException(405, detail="Method Not Allowed", headers={"Allow": ", ".join(allowed)})
            raise HTTPException(404, detail=f"no API route /{path}")
        candidate = _static_file(root, path)
        if candidate is not None:
            return FileResponse(candidate)
        response = FileResponse(index, headers={"Cache-Control": "no-cache"})
        grant_local_session(request, response)
        return response


def _static_file(root: Path, path: str) -> Path | None:
    """Return the file under ``root`` that ``path`` names, or None (outside it, not a file, or unreadable)."""
    if not path:
        return None
    try:
        candidate = (root / path).resolve()
        return candidate if candidate.is_relative_to(root) and candidate.is_file() else None
    except (OSError, ValueError):  # a name too long, a NUL byte: no such file
        return None

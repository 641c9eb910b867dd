"""The HTTP security gate in front of every route, and the local dashboard's session cookie.

`SecurityGate` is a pure ASGI middleware that answers before any route runs, so a route added later cannot
forget it. In order, a request is refused when:

1. its path is over `MAX_PATH_BYTES` (414) or holds a control character such as ``%00`` (400);
2. its ``Host`` is missing or malformed (400) or not one of ``ALLOWED_HOSTS`` (421): a DNS-rebinding page
   reaches the server under its own host name, which is not on the list;
3. it carries an ``Origin`` that is neither the server's own nor one of ``CORS_ORIGIN`` (403): another web
   page, whatever its content type;
4. it is a POST/PUT/PATCH/DELETE whose body is not declared JSON (415; `BINARY_BODIES` names the exception):
   a cross-site HTML form or a ``text/plain`` fetch can only send "simple" content types, and a JSON one makes
   the browser ask first;
5. it is for ``/api/*`` (except `PUBLIC_PATHS`) without a valid credential (401), or it changes state and
   its identity is a viewer (403). The identity goes into ``request.state.identity``.

Credentials are a bearer token (`config.auth`), or the session cookie that `grant_local_session` sets on
the dashboard's ``index.html`` when a browser on this machine loads it from a loopback address (HttpOnly,
``SameSite=Strict``): the local operator of ``make run`` needs no token step, a remote browser does.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from dataclasses import dataclass

from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from config.auth import ADMIN_NAME, Identity, Role, TokenRegistry, TokenSpec, load_or_create_token
from config.settings import LOOPBACK_NAMES, Settings
from data.text import CONTROL_CHARS

SESSION_COOKIE = "opsforge_session"
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Readable without a credential: a load balancer's or a script's liveness probe.
PUBLIC_PATHS = frozenset({"/api/health"})


def needs_credential(path: str) -> bool:
    """Return whether the gate asks ``path`` for a credential: every /api path but `PUBLIC_PATHS` (the dashboard's
    files and the Prometheus scrape at /metrics are open)."""
    return (path == "/api" or path.startswith("/api/")) and path not in PUBLIC_PATHS


# Far above any real route (the longest is a few hundred bytes with its names), far below a server's limits.
MAX_PATH_BYTES = 2048
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    detail: str
    headers: tuple[tuple[str, str], ...] = ()


def host_name(header: str) -> str | None:
    """Return the lower-case host of a ``Host`` header value (no port, no brackets), or None if malformed."""
    match = _HOST.fullmatch(header.strip())
    if match is None:
        return None
    name = match.group("v6") or match.group("name")
    return name.lower().rstrip(".") or None


def is_loopback_host(name: str) -> bool:
    """Return whether ``name`` (a host name or address, no port) always means this machine."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


BINARY_BODIES = {"/api/metrics/remote-write": "application/x-protobuf"}
"""The one non-JSON body each listed path takes: Prometheus' remote-write protobuf. It is not a "simple" content
type either (a browser asks first), and the route still needs an operator's bearer token."""


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _is_json(content_type: str) -> bool:
    maintype, _, subtype = _media_type(content_type).partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


class SecurityGate:
    """Refuse what `api.security` lists before the app sees it; otherwise attach the caller's identity."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str], allowed_origins: list[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.hosts = frozenset(host_name(h) or h for h in allowed_hosts if h != "*")
        self.any_origin = "*" in allowed_origins
        self.origins = frozenset(o.rstrip("/").lower() for o in allowed_origins if o != "*")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            headers[key.decode("latin-1").lower()] = value.decode("latin-1")
        refusal = self._check_request(scope, headers)
        if refusal is None:
            identity, refusal = self._authenticate(scope, headers)
            if identity is not None:
                scope.setdefault("state", {})["identity"] = identity
        if refusal is not None:
            await _refuse(refusal, scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check_request(self, scope: Scope, headers: dict[str, str]) -> Refusal | None:
        path: str = scope["path"]
        raw_path: bytes = scope.get("raw_path") or path.encode()
        if len(raw_path) > MAX_PATH_BYTES or len(path.encode()) > MAX_PATH_BYTES:
            return Refusal(414, f"the path is longer than {MAX_PATH_BYTES} bytes")
        if CONTROL_CHARS.search(path):
            return Refusal(400, "the path contains a control character")
        host = host_name(headers.get("host", ""))
        if host is None:
            return Refusal(400, "missing or malformed Host header")
        if not self.any_host and host not in self.hosts:
            return Refusal(421, f"this server does not answer to the host {host!r} (see ALLOWED_HOSTS)")
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, headers["host"]):
            return Refusal(403, f"requests from the origin {origin[:200]!r} are refused (see CORS_ORIGIN)")
        if scope["method"] in MUTATING_METHODS:
            content_type = headers.get("content-type")
            has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
            binary = content_type is not None and BINARY_BODIES.get(path) == _media_type(content_type)
            if (content_type is not None and not _is_json(content_type) and not binary) or (
                content_type is None and has_body
            ):
                return Refusal(415, "a request that changes state must be sent with Content-Type: application/json")
        return None

    def _origin_allowed(self, origin: str, host_header: str) -> bool:
        normalised = origin.strip().rstrip("/").lower()
        _, sep, netloc = normalised.partition("://")
        if sep and netloc == host_header.strip().lower():
            return True  # the server's own pages (the dashboard)
        return self.any_origin or normalised in self.origins

    def _authenticate(self, scope: Scope, headers: dict[str, str]) -> tuple[Identity | None, Refusal | None]:
        path: str = scope["path"]
        if scope["method"] == "OPTIONS" or not needs_credential(path):
            return None, None
        registry: TokenRegistry | None = getattr(scope["app"].state, "tokens", None)
        if registry is None:
            return None, Refusal(503, "the service is starting")
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        identity = None
        if scheme:
            if scheme.lower() != "bearer" or not secret.strip():
                return None, _unauthorized("send 'Authorization: Bearer <token>'", "invalid_request")
            identity = registry.identify(secret.strip())
            if identity is None:
                return None, _unauthorized("invalid bearer token", "invalid_token")
        else:
            session = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
            identity = registry.identify_session(session) if session else None
            if identity is None:
                return None, _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'", None)
        if scope["method"] in MUTATING_METHODS and not identity.allows(Role.OPERATOR):
            return identity, Refusal(403, f"{identity.name} is a {identity.role.value}: changes need an operator")
        return identity, None


def _unauthorized(detail: str, error: str | None) -> Refusal:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return Refusal(401, detail, (("WWW-Authenticate", challenge),))


async def _refuse(refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
    body = json.dumps({"detail": refusal.detail}).encode()
    response = Response(body, status_code=refusal.status, media_type="application/json", headers=dict(refusal.headers))
    await response(scope, receive, send)


def build_registry(settings: Settings) -> TokenRegistry:
    """Return the registry of the configured tokens, or of the install's generated admin token.

    Without ``OPSFORGE_API_TOKEN(S)`` the token in ``OPSFORGE_TOKEN_FILE`` is used, created on first start
    (mode 0600) and written once to the console; it is never logged, so the log panel never shows it."""
    specs = settings.token_specs
    if not specs:
        secret, created = load_or_create_token(settings.OPSFORGE_TOKEN_FILE)
        if created:
            sys.stderr.write(
                f"OpsForge: no OPSFORGE_API_TOKEN is set; generated an admin API token, stored in "
                f"{settings.OPSFORGE_TOKEN_FILE} (owner-only):\n  {secret}\n"
                "Send it as 'Authorization: Bearer <token>'. The dashboard opened on this machine needs none.\n"
            )
        else:
            sys.stderr.write(f"OpsForge: the admin API token is in {settings.OPSFORGE_TOKEN_FILE}\n")
        sys.stderr.flush()
        specs = [TokenSpec(ADMIN_NAME, Role.ADMIN, secret)]
    return TokenRegistry(specs, local_dashboard=settings.DASHBOARD_AUTO_LOGIN)


def grant_local_session(request: Request, response: Response) -> None:
    """Set the dashboard session cookie on ``response`` when ``request`` comes from this machine.

    Both the peer address and the ``Host`` must be loopback: a remote browser, or a reverse proxy that
    forwards a public host name, gets no cookie and is asked for a token."""
    registry: TokenRegistry | None = getattr(request.app.state, "tokens", None)
    if registry is None or not registry.local_dashboard or request.client is None:
        return
    host = host_name(request.headers.get("host", ""))
    if host is None or not is_loopback_host(host) or not is_loopback_host(request.client.host):
        return
    response.set_cookie(SESSION_COOKIE, registry.session_secret, httponly=True, samesite="strict", path="/")


def identity_of(request: Request) -> Identity | None:
    """Return the identity the gate attached to ``request`` (None on the public paths)."""
    identity: Identity | None = getattr(request.state, "identity", None)
    return identity

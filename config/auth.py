"""API identities: named bearer tokens with a role, the generated token of an install that configures none,
and the local dashboard session.

Framework-free: the HTTP layer (`api.security`) asks `TokenRegistry.identify` who a credential belongs to and
compares roles with `Identity.allows`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

MIN_TOKEN_LENGTH = 16
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
# The legacy single token and the generated one act as this identity.
ADMIN_NAME = "admin"
# A browser on this machine that loaded the dashboard from a loopback address.
LOCAL_DASHBOARD_NAME = "local-dashboard"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request acts as: the audited actor, and what it may do."""

    name: str
    role: Role

    def allows(self, needed: Role) -> bool:
        """Return whether this identity's role is ``needed`` or above it (viewer < operator < admin)."""
        return self.role.rank >= needed.rank


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One configured bearer token: its identity and its secret."""

    name: str
    role: Role
    secret: str = ""

    def __repr__(self) -> str:  # never print the secret
        return f"TokenSpec(name={self.name!r}, role={self.role.value!r})"


def check_secret(secret: str, variable: str) -> str:
    """Return ``secret`` if it is usable as a bearer token; raise ValueError naming ``variable`` otherwise."""
    if not secret.strip():
        raise ValueError(f"{variable}: a token must not be empty or only whitespace")
    if secret != secret.strip() or any(ch.isspace() for ch in secret):
        raise ValueError(f"{variable}: a token must not contain whitespace")
    if len(secret) < MIN_TOKEN_LENGTH:
        raise ValueError(f"{variable}: a token must have at least {MIN_TOKEN_LENGTH} characters")
    if not secret.isprintable() or not secret.isascii():
        raise ValueError(f"{variable}: a token must be printable ASCII")
    return secret


def parse_token_list(value: str, variable: str = "OPSFORGE_API_TOKENS") -> list[TokenSpec]:
    """Return the tokens of ``name:role:token,...``; raise ValueError naming the variable and the bad entry.

    Names are unique (they become audited actors), and so are secrets (one secret, one identity)."""
    specs: list[TokenSpec] = []
    for position, entry in enumerate((part.strip() for part in value.split(",")), start=1):
        if not entry:
            continue
        name, sep1, rest = entry.partition(":")
        role, sep2, secret = rest.partition(":")
        if not (sep1 and sep2):
            raise ValueError(f"{variable}: entry {position} must be name:role:token")
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"{variable}: entry {position} has an invalid name (letters, digits, _.@-, up to 64)")
        if role not in Role.__members__.values():
            raise ValueError(f"{variable}: entry {position} ({name}) has role {role!r}; use viewer, operator or admin")
        check_secret(secret, f"{variable} entry {position} ({name})")
        if any(spec.name == name for spec in specs):
            raise ValueError(f"{variable}: the name {name!r} is used twice")
        if any(spec.secret == secret for spec in specs):
            raise ValueError(f"{variable}: entry {position} ({name}) reuses another entry's token")
        specs.append(TokenSpec(name, Role(role), secret))
    return specs


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class TokenRegistry:
    """Maps a presented secret to its identity in time independent of which token (or none) matches."""

    def __init__(self, specs: list[TokenSpec], *, local_dashboard: bool = True) -> None:
        if not specs:
            raise ValueError("at least one token is required")
        self._tokens = [(_digest(spec.secret), Identity(spec.name, spec.role)) for spec in specs]
        # The session cookie is derived from every configured secret: it survives restarts, never reveals a
        # token, and stops working when the tokens change.
        key = hashlib.sha256(b"\0".join(sorted(spec.secret.encode() for spec in specs))).digest()
        self.session_secret = hmac.new(key, b"opsforge local dashboard session", hashlib.sha256).hexdigest()
        self.local_dashboard = local_dashboard
        self._session_digest = _digest(self.session_secret)

    @property
    def identities(self) -> list[Identity]:
        return [identity for _, identity in self._tokens]

    def identify(self, secret: str) -> Identity | None:
        """Return the identity whose token is ``secret``, or None."""
        presented = _digest(secret)
        found = None
        for digest, identity in self._tokens:
            if hmac.compare_digest(presented, digest):
                found = identity
        return found

    def identify_session(self, value: str) -> Identity | None:
        """Return the local dashboard identity when ``value`` is the session cookie's value, else None."""
        if self.local_dashboard and hmac.compare_digest(_digest(value), self._session_digest):
            return Identity(LOCAL_DASHBOARD_NAME, Role.ADMIN)
        return None


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """Return the token stored at ``path`` and False, or a new random one written there (mode 0600) and True.

    The file is created exclusively with owner-only permissions, so another local user never sees the token
    and two processes starting at once cannot both write one. A stored file readable by others is narrowed
    to 0600; a stored token that is unusable raises ValueError naming the file."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        secret = path.read_text(encoding="utf-8").strip()
        check_secret(secret, str(path))
        return secret, False
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_token(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret, True

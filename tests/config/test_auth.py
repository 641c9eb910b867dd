"""Token identities and roles, the token list format, the generated token file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.auth import Identity, Role, TokenRegistry, TokenSpec, check_secret, load_or_create_token, parse_token_list

SECRET = "0123456789abcdef"


def test_roles_are_ordered() -> None:
    viewer, operator, admin = (Identity("x", role) for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN))
    assert viewer.allows(Role.VIEWER) and not viewer.allows(Role.OPERATOR)
    assert operator.allows(Role.OPERATOR) and not operator.allows(Role.ADMIN)
    assert admin.allows(Role.VIEWER) and admin.allows(Role.ADMIN)


def test_token_list_is_parsed_and_validated() -> None:
    specs = parse_token_list(f" alice:admin:{SECRET}a , ci-bot:operator:{SECRET}b,,grafana:viewer:{SECRET}c ")
    assert [(s.name, s.role) for s in specs] == [("alice", Role.ADMIN), ("ci-bot", Role.OPERATOR),
                                                ("grafana", Role.VIEWER)]  # fmt: skip
    assert SECRET not in repr(specs)
    bad = {
        f"alice:{SECRET}": "name:role:token",
        f"alice:root:{SECRET}": "role 'root'",
        "alice:admin:short": "at least 16",
        "alice:admin:" + " " * 20: "whitespace",
        f"al ice:admin:{SECRET}": "invalid name",
        f"alice:admin:{SECRET}a,alice:viewer:{SECRET}b": "used twice",
        f"alice:admin:{SECRET},bob:viewer:{SECRET}": "reuses",
    }
    for value, message in bad.items():
        with pytest.raises(ValueError, match=message) as excinfo:
            parse_token_list(value)
        assert "OPSFORGE_API_TOKENS" in str(excinfo.value)


def test_secret_rules() -> None:
    assert check_secret(SECRET, "V") == SECRET
    for bad in ("", "   ", "\t" * 20, "x" * 15, f" {SECRET}", f"{SECRET[:8]} {SECRET}", f"{SECRET}é", f"{SECRET}\x00"):
        with pytest.raises(ValueError, match=r"^V:"):
            check_secret(bad, "V")


def test_registry_identifies_tokens_and_the_session() -> None:
    registry = TokenRegistry([TokenSpec("alice", Role.ADMIN, SECRET + "a"), TokenSpec("bob", Role.VIEWER, SECRET)])
    assert registry.identify(SECRET) == Identity("bob", Role.VIEWER)
    assert registry.identify(SECRET + "a") == Identity("alice", Role.ADMIN)
    assert registry.identify(SECRET[:-1]) is None and registry.identify("") is None
    assert registry.session_secret not in (SECRET, SECRET + "a") and len(registry.session_secret) == 64
    assert registry.identify_session(registry.session_secret) == Identity("local-dashboard", Role.ADMIN)
    assert registry.identify_session(SECRET) is None
    assert registry.identify(registry.session_secret) is None  # the cookie is no bearer token
    off = TokenRegistry([TokenSpec("alice", Role.ADMIN, SECRET)], local_dashboard=False)
    assert off.identify_session(off.session_secret) is None
    with pytest.raises(ValueError):
        TokenRegistry([])


def test_generated_token_is_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "api-token"
    secret, created = load_or_create_token(path)
    assert created and len(secret) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_token(path) == (secret, False)
    os.chmod(path, 0o644)
    assert load_or_create_token(path) == (secret, False) and path.stat().st_mode & 0o777 == 0o600
    path.write_text("short\n")
    with pytest.raises(ValueError, match=str(path)):
        load_or_create_token(path)

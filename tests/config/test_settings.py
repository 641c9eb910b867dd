"""Settings: defaults, validation naming the variable, and the refusal to expose an unauthenticated API."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from config.settings import KbBackend, Settings, describe_error, is_loopback, load_settings


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults() -> None:
    settings = build()
    assert (settings.HOST, settings.PORT, settings.KB_BACKEND) == ("127.0.0.1", 8000, KbBackend.SQLITE)
    assert str(settings.KB_PATH).startswith("var/")
    assert settings.api_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "70000"), ("KB_BACKEND", "oracle"), ("TERMINAL_OUTPUT", "loud"), ("SIM_SPEED", "0"),
     ("CORS_ORIGIN", "localhost:3000"), ("AWS_REGION", "mars")],
)  # fmt: skip
def test_invalid_environment_stops_startup_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as excinfo:
        load_settings()
    assert name in str(excinfo.value)


def test_public_bind_needs_token_or_explicit_opt_in() -> None:
    with pytest.raises(ValidationError) as excinfo:
        build(HOST="0.0.0.0")
    assert "OPSFORGE_API_TOKEN" in describe_error(excinfo.value)
    assert build(HOST="0.0.0.0", OPSFORGE_API_TOKEN="t").api_token == "t"
    assert build(HOST="0.0.0.0", OPSFORGE_ALLOW_INSECURE=True).HOST == "0.0.0.0"


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5") and not is_loopback("example.com")


def test_cors_origins_are_split() -> None:
    assert build(CORS_ORIGIN="http://a.test, https://b.test").cors_origins == ["http://a.test", "https://b.test"]


def test_the_executor_allowlist_is_json_per_tenant_and_refuses_bad_names() -> None:
    assert build().EXEC_ALLOWLIST == {"*": ["*"]}
    chosen = build(EXEC_ALLOWLIST={"*": ["clear_cache"], "acme": ["*"]})
    assert chosen.EXEC_ALLOWLIST == {"*": ["clear_cache"], "acme": ["*"]}
    for bad in ({"*": ["rm -rf"]}, {"": ["clear_cache"]}, {"*": [""]}):
        with pytest.raises(ValidationError, match="EXEC_ALLOWLIST"):
            build(EXEC_ALLOWLIST=bad)

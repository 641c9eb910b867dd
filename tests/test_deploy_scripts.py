"""Deployment scripts: shellcheck-clean, syntactically valid, and rendering a loopback one-worker service."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SKIPPED_DIRS = {".venv", "node_modules"}
SHELL_SCRIPTS = [
    *sorted(p for p in REPO_ROOT.rglob("*.sh") if not SKIPPED_DIRS & set(p.relative_to(REPO_ROOT).parts)),
    REPO_ROOT / ".ci" / "run",
]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (make test installs it)")
@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_shellcheck_clean(script: Path) -> None:
    result = subprocess.run(["shellcheck", "-x", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_bash_syntax(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_rendered_unit_binds_loopback_with_one_worker_and_a_private_token() -> None:
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "ec2_setup.sh"), "--print-config", "--port", "8123"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    config = result.stdout
    assert "HOST=127.0.0.1 PORT=8123" in config
    assert config.count("ExecStart=") == 1 and "backend_api.py" in config
    assert "EnvironmentFile=/etc/opsforge/opsforge.env" in config
    assert "proxy_pass http://127.0.0.1:8123" in config and "listen 80" in config
    assert "proxy_buffering off" in config  # the log stream is Server-Sent Events
    setup = (REPO_ROOT / "ec2_setup.sh").read_text()
    assert "chmod 0600" in setup and "OPSFORGE_API_TOKEN" in setup


def test_setup_refuses_unknown_options() -> None:
    result = subprocess.run(["bash", str(REPO_ROOT / "ec2_setup.sh"), "--bogus"], capture_output=True, check=False)
    assert result.returncode == 2


def test_deploy_script_excludes_local_state_and_secrets() -> None:
    text = (REPO_ROOT / "deploy_to_ec2.ps1").read_text()
    for excluded in ('".venv"', '"node_modules"', '"var"', '".env"', '"*.pem"', '"*.key"'):
        assert excluded in text
    assert "ec2_setup.sh" in text and "mkdir -p" in text


@pytest.mark.skipif(shutil.which("pwsh") is None, reason="PowerShell (pwsh) is not installed")
def test_deploy_script_parses() -> None:
    script = REPO_ROOT / "deploy_to_ec2.ps1"
    check = (
        f"$e=$null; [System.Management.Automation.Language.Parser]::ParseFile('{script}', [ref]$null, [ref]$e)"
        " | Out-Null; if ($e) { $e; exit 1 }"
    )
    subprocess.run(["pwsh", "-NoProfile", "-Command", check], check=True)

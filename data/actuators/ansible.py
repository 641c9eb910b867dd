"""`AnsibleActuator`: an action runs the playbook named after it, through ansible-runner, on one host.

The catalogue action ``restart_service`` runs ``<playbook_dir>/restart_service.yml`` against the tenant's
inventory, limited to the action's target, with the action's parameters as extra vars (plus
``opsforge_target`` and ``opsforge_action_id``). Each run gets a fresh private directory, so runs never
share state; the run's events become the result's log.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from data.actuation import ActionResult
from data.actuators.params import check_params, check_target
from data.errors import InvalidInput
from data.models import Action, ActionStatus, LogType
from data.timeutil import utc_now

log = logging.getLogger(__name__)

_ACTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAX_LOG_LINES = 400
MAX_LINE_CHARS = 2000


def _search_path() -> str:
    """Return PATH with this interpreter's directory first: a virtualenv's ansible-playbook need not be on PATH."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)])


class AnsibleActuator:
    """Runs one playbook per action with ansible-runner. Thread-safe: runs share nothing."""

    def __init__(
        self,
        playbook_dir: Path,
        inventory: Path,
        *,
        timeout_s: int = 600,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._playbooks = playbook_dir.resolve()
        self._inventory = inventory.resolve()
        self._timeout = timeout_s
        self._now = now

    def playbook_for(self, action_type: str) -> Path:
        """Return the playbook of ``action_type``; InvalidInput if the name is not plain or no playbook exists."""
        if not _ACTION_NAME.fullmatch(action_type):
            raise InvalidInput("action_type", "must be a lower-case catalogue id")
        for suffix in (".yml", ".yaml"):
            path = self._playbooks / f"{action_type}{suffix}"
            if path.is_file():
                return path
        raise InvalidInput("action_type", f"no playbook {action_type}.yml in {self._playbooks}")

    def apply(self, action: Action) -> ActionResult:
        """Run the action's playbook on its target and return what ansible reported (completed only if it succeeded)."""
        import ansible_runner  # imported here: only tenants on Ansible need it loaded

        playbook = self.playbook_for(action.action_type)
        target = check_target(action.target)
        extravars = {**check_params(action.params), "opsforge_target": target, "opsforge_action_id": action.action_id}
        started = self._now()
        with tempfile.TemporaryDirectory(prefix="opsforge-ansible-") as private:
            envvars = {
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOCAL_TEMP": str(Path(private) / "tmp"),
                "LC_ALL": "C.UTF-8",  # ansible refuses to start under a non-UTF-8 locale
                "PATH": _search_path(),
            }
            run: Any = ansible_runner.run(
                private_data_dir=private, playbook=str(playbook), inventory=str(self._inventory), limit=target,
                extravars=extravars, envvars=envvars, quiet=True, timeout=self._timeout,
            )  # fmt: skip
            lines = self._log(run)
            stats = run.stats or {}
            hosts = sorted({host for kind in ("ok", "changed", "failures", "dark") for host in stats.get(kind, {})})
        ok = run.status == "successful" and run.rc == 0
        timed_out = run.status == "timeout"
        message = f"playbook {playbook.name} on {target}: {run.status} (rc {run.rc})"
        log.info(
            "Ansible %s on %s: %s", action.action_type, target, run.status,
            extra={"log_type": LogType.SUCCESS if ok else LogType.WARNING},
        )  # fmt: skip
        return ActionResult(
            action_id=action.action_id, action_type=action.action_type, target=action.target,
            status=ActionStatus.COMPLETED if ok else ActionStatus.FAILED, transient=timed_out, message=message,
            hosts=hosts or [target], executed_at=started, log=lines,
        )  # fmt: skip

    @staticmethod
    def _log(run: Any) -> list[str]:
        lines: list[str] = []
        for event in run.events:
            for line in _ANSI.sub("", str(event.get("stdout") or "")).splitlines():
                if line.strip():
                    lines.append(line[:MAX_LINE_CHARS])
        return lines[-MAX_LOG_LINES:]

"""The kill switch: one persisted flag that stops every autonomous action, with who/when/why audited."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from config.knowledge_base import KnowledgeBase
from data.models import AuditEntry, LogType
from data.timeutil import iso_z, parse_iso, utc_now

log = logging.getLogger(__name__)

SETTING_KEY = "kill_switch"


@dataclass(frozen=True)
class KillSwitchState:
    active: bool
    reason: str | None
    changed_by: str | None
    changed_at: datetime | None

    @property
    def message(self) -> str:
        if self.active:
            return "Kill switch activated - all autonomous actions paused"
        return "Kill switch deactivated - autonomous actions resumed"


class KillSwitch:
    """Reads are lock-free snapshots; changes are serialised, persisted, then audited."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._lock = threading.RLock()
        self._state = self._load()

    def _load(self) -> KillSwitchState:
        stored = self._kb.get_setting(SETTING_KEY)
        if not stored:
            return KillSwitchState(False, None, None, None)
        changed_at = stored.get("changed_at")
        return KillSwitchState(
            bool(stored.get("active", False)),
            stored.get("reason"),
            stored.get("changed_by"),
            parse_iso(changed_at) if changed_at else None,
        )

    @property
    def active(self) -> bool:
        return self._state.active

    def state(self) -> KillSwitchState:
        return self._state

    @contextmanager
    def gate(self) -> Iterator[bool]:
        """Hold the switch still while the caller checks it and registers a start; yield whether it is active.

        `set` takes the same lock, so a start registered inside the gate with the switch off happened before
        any activation that has returned: once `set(True)` returns, no gate holder can see it off again.
        Keep the body short (no fleet calls): activation waits for it.
        """
        with self._lock:
            yield self._state.active

    def set(self, active: bool, *, reason: str, actor: str) -> tuple[KillSwitchState, bool]:
        """Set the switch; return the state and whether it changed (setting the current value is a no-op)."""
        with self._lock:
            if self._state.active == active:
                return self._state, False
            now = utc_now()
            state = KillSwitchState(active, reason, actor, now)
            self._kb.put_setting(
                SETTING_KEY, {"active": active, "reason": reason, "changed_by": actor, "changed_at": iso_z(now)}
            )
            self._kb.append_audit(
                AuditEntry(
                    id=f"AUD-{uuid.uuid4().hex[:12]}",
                    time=now,
                    actor=actor,
                    action="kill_switch.activate" if active else "kill_switch.deactivate",
                    target="fleet",
                    reason=reason,
                )
            )
            self._state = state
        log.warning(
            "%s by %s: %s", state.message, actor, reason or "no reason given", extra={"log_type": LogType.KILLSWITCH}
        )
        return state, True

    def toggle(self, *, reason: str, actor: str) -> KillSwitchState:
        """Flip the switch (kept for the seed's toggle endpoint) and return the new state."""
        with self._lock:
            return self.set(not self._state.active, reason=reason, actor=actor)[0]

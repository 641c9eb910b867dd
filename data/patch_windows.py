"""Per-tenant maintenance windows: when a tenant's hosts may be patched (UTC times of day)."""

from __future__ import annotations

import re
from datetime import datetime, time

from data.errors import InvalidInput

_ENTRY = re.compile(r"^\s*([A-Za-z0-9*][A-Za-z0-9._-]*)\s*=\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")


class MaintenanceWindows:
    """Parsed from ``"acme=22:00-06:00,globex=01:00-05:00,*=00:00-24:00"``: tenant (``*`` = every other tenant)
    and a daily UTC window; a window may wrap past midnight. A tenant with no entry and no ``*`` is always open."""

    def __init__(self, spec: str = "") -> None:
        self._windows: dict[str, tuple[time, time, bool]] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            match = _ENTRY.match(part)
            if match is None:
                raise InvalidInput("PATCH_MAINTENANCE_WINDOWS", f"{part!r} is not tenant=HH:MM-HH:MM")
            tenant, h1, m1, h2, m2 = match.groups()
            start_h, start_m, end_h, end_m = int(h1), int(m1), int(h2), int(m2)
            if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
                raise InvalidInput("PATCH_MAINTENANCE_WINDOWS", f"{part!r} has an impossible time of day")
            whole_day = end_h == 24
            self._windows[tenant] = (time(start_h, start_m), time(0, 0) if whole_day else time(end_h, end_m), whole_day)

    def is_open(self, tenant: str, at: datetime) -> bool:
        """Return True when ``tenant``'s hosts may be patched at ``at``."""
        window = self._windows.get(tenant, self._windows.get("*"))
        if window is None:
            return True
        start, end, whole_day = window
        now = at.time().replace(tzinfo=None)
        if whole_day:
            return now >= start
        if start <= end:
            return start <= now < end
        return now >= start or now < end  # wraps past midnight

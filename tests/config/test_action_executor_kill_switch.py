"""The kill-switch guarantee under concurrency: once `set(True)` has returned, nothing starts anywhere.

Threads submit actions without pause while the switch is flipped. Every start and every attempt is a
persisted RUNNING record, so a knowledge base that logs its writes shows exactly what began when: after the
moment `set(True)` returned, no new action may be registered as started and no new attempt may begin.
The verdict does not depend on timing: whatever the interleaving, one such write after that moment fails it.
"""

from __future__ import annotations

import threading

from config.action_executor import ExecutionState, Executor
from config.guardrails import Limits
from config.kill_switch import KillSwitch
from config.knowledge_base import MemoryKnowledgeBase
from data.actuation import ActionResult
from data.clock import ManualClock
from data.execution import ExecutedAction
from data.models import Action
from tests.config.executor_fixtures import SPECS, T0, DictInventory, MemorySilences, completed, request

ROUNDS = 200
SUBMITTERS = 4
TARGETS = [f"acme-solo{n}" for n in range(40)]


class LoggingKb(MemoryKnowledgeBase):
    """Appends every executor write to a shared, ordered log."""

    def __init__(self, events: list[tuple[str, str, str, int]], lock: threading.Lock) -> None:
        super().__init__()
        self.events = events
        self.events_lock = lock

    def save_execution(self, record: ExecutedAction) -> None:
        super().save_execution(record)
        with self.events_lock:
            self.events.append(("save", record.id, record.state.value, record.attempts))


def one_round() -> tuple[int, int]:
    """Run one round; return (actions started before the switch, submissions refused after it)."""
    events: list[tuple[str, str, str, int]] = []
    lock = threading.Lock()
    kb = LoggingKb(events, lock)
    switch = KillSwitch(kb)
    busy = threading.Event()
    calls: list[str] = []

    def apply(action: Action) -> ActionResult:
        with lock:
            calls.append(action.action_id)
            if len(calls) >= 3:
                busy.set()
        return completed(action)

    class Actuator:
        def apply(self, action: Action) -> ActionResult:
            return apply(action)

    limits = Limits(
        cooldown_s=0,
        rate_global_per_hour=100_000,
        rate_tenant_per_hour=100_000,
        max_concurrent_per_tenant=1000,
        max_concurrent_per_service=1000,
        retry_backoff_s=0,
    )
    executor = Executor(
        actuator_for=lambda tenant: Actuator(),
        kill_switch=switch,
        kb=kb,
        clock=ManualClock(T0),
        catalogue=SPECS,
        inventory=DictInventory(singles=len(TARGETS)),
        silences=MemorySilences(),
        limits=limits,
        workers=3,
    )
    returned = threading.Event()
    done = threading.Event()
    after: list[ExecutedAction] = []

    def submit(n: int) -> None:
        i = n
        post = 0
        while not done.is_set():
            seen_return = returned.is_set()
            record = executor.submit(request(target=TARGETS[i % len(TARGETS)]))
            i += SUBMITTERS
            if seen_return:
                with lock:
                    after.append(record)
                post += 1
                if post >= 3:
                    return

    threads = [threading.Thread(target=submit, args=(n,), name=f"submitter-{n}") for n in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    assert busy.wait(10), "the submitters never got an action through"
    switch.set(True, reason="stop everything", actor="user:test")
    returned.set()
    with lock:
        events.append(("returned", "", "", 0))
        started_before = sum(1 for e in events if e[0] == "save" and e[2] == "running" and e[3] == 0)
    for thread in threads:
        thread.join(10)
    done.set()
    executor.stop()

    mark = events.index(("returned", "", "", 0))
    begun = {(e[1], e[3]) for e in events[:mark] if e[0] == "save" and e[2] == ExecutionState.RUNNING.value}
    late = [e for e in events[mark + 1 :] if e[2] == ExecutionState.RUNNING.value and (e[1], e[3]) not in begun]
    assert late == [], f"started after the kill switch returned: {late[:3]}"
    assert after and all(r.state is ExecutionState.BLOCKED and r.blocked_by == "kill_switch" for r in after)
    return started_before, len(after)


def test_nothing_starts_after_the_kill_switch_returned() -> None:
    totals = [one_round() for _ in range(ROUNDS)]
    assert sum(started for started, _ in totals) >= 3 * ROUNDS
    assert sum(refused for _, refused in totals) >= 3 * SUBMITTERS * ROUNDS

"""OpsForge's own metrics in the Prometheus text format (`GET /metrics`).

One `Telemetry` per app holds its own registry (tests and several apps in one process never share
counters). What is measured: alert ingest requests and their latency, correlation passes (AlertOps
advancing its event time) and their latency, every action that reaches a final state by action and state
with its run time, guardrail refusals by rule, and roll-out steps (patch installs and rollbacks) by state.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from data.execution import ExecutedAction, ExecutionState

ROLLOUT_ACTIONS = frozenset({"apply_patch", "rollback_patch"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
ACTION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class Telemetry:
    """Counters and histograms of one app; `render` returns the exposition body and its content type."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.ingest_requests = Counter(
            "opsforge_ingest_requests", "Alert ingest requests by HTTP status", ["status"], registry=r
        )
        self.ingest_seconds = Histogram(
            "opsforge_ingest_seconds", "Alert ingest request latency", buckets=LATENCY_BUCKETS, registry=r
        )
        self.correlation_seconds = Histogram(
            "opsforge_correlation_seconds",
            "Time of one correlation pass (AlertOps advancing to a new event time)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.actions = Counter(
            "opsforge_actions",
            "Actions that reached a final state, by action and state",
            ["action", "state"],
            registry=r,
        )
        self.action_seconds = Histogram(
            "opsforge_action_seconds",
            "Run time of actions that started (the Executor's clock: sim time when simulated)",
            ["action"],
            buckets=ACTION_BUCKETS,
            registry=r,
        )
        self.guardrail_blocks = Counter(
            "opsforge_guardrail_blocks", "Requests the Executor's guardrails refused, by rule", ["rule"], registry=r
        )
        self.rollout_steps = Counter(
            "opsforge_rollout_steps", "Roll-out steps (patch installs, rollbacks) by action and state",
            ["action", "state"], registry=r,
        )  # fmt: skip

    def action_finished(self, record: ExecutedAction) -> None:
        """Executor listener: count a record that reached a final state."""
        action, state = record.request.action, record.state.value
        self.actions.labels(action, state).inc()
        if record.state is ExecutionState.BLOCKED:
            self.guardrail_blocks.labels(record.blocked_by or "unknown").inc()
        if record.started_at is not None and record.finished_at is not None:
            seconds = (record.finished_at - record.started_at).total_seconds()
            self.action_seconds.labels(action).observe(max(seconds, 0.0))
        if action in ROLLOUT_ACTIONS:
            self.rollout_steps.labels(action, state).inc()

    def render(self) -> tuple[bytes, str]:
        """Return the exposition body and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

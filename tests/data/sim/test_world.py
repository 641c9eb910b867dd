"""The world as a whole: determinism, the kill switch, storm mode, truth bookkeeping and the sinks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from data.models import Action
from data.sim.actuator import SimulatedActuator
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def run(world: World, minutes: int, first: int = 0) -> None:
    for minute in range(first, first + minutes):
        world.step(START + timedelta(minutes=minute))


def scripted_run(seed: int) -> list[str]:
    """Three sim hours with the same injections and actions at the same sim times; returns the alert stream."""
    sink = RecordingSink()
    world = World(seed=seed, alert_sink=sink, metric_sink=sink)
    actuator = SimulatedActuator(world)
    run(world, 30)
    record = world.inject("disk_full", tenant="acme")
    run(world, 60, 30)
    for i, action_type in enumerate(("restart_service", "cleanup_disk", "cleanup_disk")):
        actuator.apply(Action(action_id=f"a{i}", action_type=action_type, agent="test", target=record.root_host))
    run(world, 90, 90)
    return [a.model_dump_json() for a in sink.alerts]


def test_same_seed_and_actions_give_an_identical_alert_stream() -> None:
    first = scripted_run(11)
    assert len(first) > 100
    assert scripted_run(11) == first
    assert scripted_run(12) != first


def test_every_emitted_alert_is_in_the_truth_log_and_noise_has_no_fault() -> None:
    sink = RecordingSink()
    world = World(seed=4, alert_sink=sink)
    run(world, 6 * 60)
    fault_ids = {f.id for f in world.truth.faults()}
    causes = [world.truth.fault_of(a.fingerprint or "", a.startsAt) for a in sink.alerts]
    assert {c for c in causes if c is not None} <= fault_ids
    assert None in causes, "no noise or hygiene alert in six hours"
    assert any(c is not None for c in causes)
    assert not any("fault" in key for a in sink.alerts for key in (*a.labels, *a.annotations))
    for record in world.truth.faults():
        assert record.root_host in record.affected_hosts
        assert record.remedy is not None or record.origin.startswith("action")


def test_a_flapping_noise_alert_fires_again_as_the_same_noise_condition() -> None:
    world = World(seed=4, alert_sink=RecordingSink(), storm=True)
    run(world, 6 * 60)
    noise = [a for a in world.truth.alerts() if a.fault_id is None]
    conditions = Counter(a.noise_id for a in noise if a.noise_id is not None)
    assert conditions, "no noise alert named its condition"
    assert all(a.noise_id is None for a in world.truth.alerts() if a.fault_id is not None)
    # A connection pool flaps every two minutes: one alert fires, resolves and fires again, one condition.
    refired = [c for c, n in conditions.items() if n > 1]
    assert refired
    for condition in refired:
        fingerprints = {a.fingerprint for a in noise if a.noise_id == condition}
        assert len(fingerprints) < conditions[condition]


def test_alert_labels_follow_prometheus_conventions() -> None:
    sink = RecordingSink()
    world = World(seed=4, alert_sink=sink)
    run(world, 120)
    statuses = Counter(a.status.value for a in sink.alerts)
    assert statuses["firing"] and statuses["resolved"]
    for alert in sink.alerts:
        assert {"alertname", "severity", "instance", "job", "service", "tenant", "site"} <= set(alert.labels)
        assert {"summary", "description"} <= set(alert.annotations)
        assert alert.fingerprint is not None and len(alert.fingerprint) == 16
        assert (alert.endsAt is not None) == (alert.status.value == "resolved")


def test_kill_switch_pauses_new_faults_but_state_keeps_evolving() -> None:
    paused = True
    sink = RecordingSink()
    world = World(seed=6, alert_sink=sink, metric_sink=sink, faults_paused=lambda: paused)
    run(world, 1)
    cert_before = world.model.state[:, 1].copy()
    run(world, 119, 1)
    assert world.faults == []
    assert len(sink.frames) == 120
    assert (world.model.state[:, 1] < cert_before).all(), "certificates stopped ageing while paused"
    paused = False
    run(world, 10, 120)
    assert world.faults, "faults did not resume after the switch was released"


def test_storm_mode_brings_more_faults_and_noise() -> None:
    calm_sink, storm_sink = RecordingSink(), RecordingSink()
    calm = World(seed=8, alert_sink=calm_sink)
    storm = World(seed=8, alert_sink=storm_sink, storm=True)
    run(calm, 180)
    run(storm, 180)
    assert len(storm.faults) > 2 * len(calm.faults)
    assert storm.max_active_faults > calm.max_active_faults
    noise = [sum(1 for a in w.truth.alerts() if a.fault_id is None) for w in (calm, storm)]
    assert noise[1] > noise[0]
    assert len(storm_sink.alerts) > len(calm_sink.alerts)


def test_sinks_receive_topology_once_and_one_frame_per_step() -> None:
    sink = RecordingSink()
    world = World(seed=1, alert_sink=sink, metric_sink=sink, topology_sink=sink)
    run(world, 3)
    assert sorted(sink.topologies) == ["acme", "globex", "initech", "umbrella"]
    timestamp, hosts, metrics, values = sink.frames[-1]
    assert timestamp == START + timedelta(minutes=2)
    assert len(hosts) == 60 and metrics == [
        "cpu",
        "memory",
        "disk",
        "network",
        "latency_p95",
        "error_rate",
        "connections",
    ]
    assert values.shape == (60, 7)
    assert world.step(START) == [] and len(sink.frames) == 3, "a step back in time must do nothing"


def test_status_and_host_state_reflect_the_world() -> None:
    sink = RecordingSink()
    world = World(seed=1, alert_sink=sink, random_faults=False, noise=False)
    assert world.status().sim_time is None
    run(world, 2)
    record = world.inject("load_balancer_down", tenant="acme")
    run(world, 5, 2)
    status = world.status()
    assert status.active_faults == 1 and status.faults_started == 1 and status.alerts_emitted == len(sink.alerts)
    state = world.host_state(world.fleet.host_index[record.root_host])
    assert state.state == "degraded" and "LoadBalancerHealthCheckFailing" in state.firing
    assert set(state.metrics) == {"cpu", "memory", "disk", "network", "latency_p95", "error_rate", "connections"}

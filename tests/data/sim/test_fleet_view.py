"""Monitoring's view of the fleet: every host once, counted per site, tenant and state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data.sim.fleet_view import STATES, fleet_view
from data.sim.world import World
from data.sinks import RecordingSink

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_counts_agree_with_the_hosts() -> None:
    world = World(seed=3, alert_sink=RecordingSink())
    world.step(START)
    world.inject("network_partition", tenant="acme")  # takes hosts down: every state is present
    for minute in range(1, 30):
        world.step(START + timedelta(minutes=minute))
    view = fleet_view(world)
    assert all(view.states[state] > 0 for state in STATES)
    assert [h.host.name for h in view.hosts] == [h.name for h in world.fleet.hosts]
    assert all(h.state == world.host_state(h.host.index) for h in view.hosts)
    for state in STATES:
        assert view.states[state] == sum(h.state.state == state for h in view.hosts)
    assert sum(view.states.values()) == len(view.hosts) == sum(t.hosts for t in view.tenants)
    for site in view.sites:
        assert site.hosts == sum(h.host.site == site.name for h in view.hosts) > 0
        assert site.name in next(t.sites for t in view.tenants if t.name == site.tenant)

"""Alert roles: per alertname, how often it opens versus joins an incident, and the bar it sets on a link."""

from __future__ import annotations

import pytest

from agents.alert_ops.roles import AlertRoles, link_passes


def test_an_unseen_name_keeps_the_plain_threshold() -> None:
    assert AlertRoles().join_odds("ServiceDown") == 1.0


def test_a_name_that_opens_incidents_has_low_join_odds_and_one_that_joins_high_odds_up_to_the_cap() -> None:
    roles = AlertRoles()
    for _ in range(3):
        roles.learn("ServiceDown", opened=True)
    roles.learn("ServiceDown", opened=False)
    for _ in range(5):
        roles.learn("UpstreamTimeout", opened=False)
    roles.learn("UpstreamTimeout", opened=True)
    assert roles.join_odds("ServiceDown") == pytest.approx(2 / 4)
    assert roles.join_odds("UpstreamTimeout") == AlertRoles.MAX_JOIN_ODDS  # (5 + 1) / (1 + 1) = 3, capped
    roles.learn("UpstreamTimeout", opened=True)
    roles.learn("UpstreamTimeout", opened=True)
    assert roles.join_odds("UpstreamTimeout") == pytest.approx(6 / 4)


def test_the_open_share_is_a_half_for_an_unseen_name_and_follows_the_counts() -> None:
    roles = AlertRoles()
    assert roles.open_share("ServiceDown") == 0.5
    for _ in range(3):
        roles.learn("ServiceDown", opened=True)
    roles.learn("ServiceDown", opened=False)
    assert roles.open_share("ServiceDown") == pytest.approx(4 / 6)


def test_the_names_remembered_are_bounded() -> None:
    roles = AlertRoles()
    roles.MAX_NAMES = 10
    for i in range(25):
        roles.learn(f"Alert{i}", opened=True)
    assert roles.join_odds("Alert24") < 1.0
    assert len(roles) <= 10


def test_lower_odds_need_a_stronger_link_and_higher_odds_let_a_weaker_one_pass() -> None:
    assert not link_passes(0.54, 0.55, 1.0)
    assert link_passes(0.55, 0.55, 1.0)
    # The link's odds over the threshold's must make up for the name's odds of joining.
    assert link_passes(0.75, 0.55, 0.5) and not link_passes(0.7, 0.55, 0.5)
    assert link_passes(1.0, 0.55, 0.01)
    # Odds of 1.5 take the bar to the score whose odds are two thirds of the threshold's: 0.449.
    assert link_passes(0.45, 0.55, 1.5) and not link_passes(0.44, 0.55, 1.5)
    assert not link_passes(0.0, 0.55, 1.5)


def test_an_opener_is_judged_by_the_other_decisions_on_its_name() -> None:
    roles = AlertRoles()
    roles.learn("CacheDown", opened=True)  # the incident's own opening: no evidence about the name yet
    assert roles.join_odds("CacheDown") == pytest.approx(1 / 2)
    assert roles.join_odds("CacheDown", leave_out_opening=True) == 1.0


def test_a_tenant_with_little_history_follows_the_others_and_one_with_much_its_own() -> None:
    roles = AlertRoles()
    for _ in range(30):  # at acme, Restarting is a symptom: it joins
        roles.learn("Restarting", opened=False, tenant="acme")
    assert roles.join_odds("Restarting", "globex") > 1.0  # globex has no history: acme's habit holds
    for _ in range(60):  # at globex, the same name is where its faults start
        roles.learn("Restarting", opened=True, tenant="globex")
    assert roles.join_odds("Restarting", "globex") < 0.5 < roles.join_odds("Restarting", "acme")
    assert roles.open_share("Restarting", "globex") > 0.5 > roles.open_share("Restarting", "acme")


def test_one_tenant_alone_is_judged_as_the_global_counts() -> None:
    roles = AlertRoles()
    for opened in (True, True, False):
        roles.learn("ServiceDown", opened=opened, tenant="acme")
    assert roles.join_odds("ServiceDown", "acme") == roles.join_odds("ServiceDown") == (1 + 1) / (2 + 1)
    assert roles.open_share("ServiceDown", "acme") == roles.open_share("ServiceDown") == 3 / 5
    again = AlertRoles()
    again.load(roles.state())
    assert again.join_odds("ServiceDown", "acme") == roles.join_odds("ServiceDown", "acme")
    old = AlertRoles()
    old.load({"ServiceDown": [2, 1]})  # the global counts alone, as stored before per-tenant counts
    assert old.join_odds("ServiceDown") == roles.join_odds("ServiceDown")

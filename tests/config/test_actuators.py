"""`ACTUATORS` settings are validated and `ActuatorRegistry` picks each tenant's actuator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.actuators import ActuatorRegistry
from data.actuation import ActionResult
from data.actuators import AnsibleActuator, WebhookActuator
from data.models import Action
from tests.conftest import make_settings


class Simulated:
    def apply(self, action: Action) -> ActionResult:
        raise AssertionError("not called")


def test_each_tenant_gets_its_own_and_the_rest_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "acme.ini").write_text("localhost\n")
    actuators = {
        "acme": {
            "kind": "ansible",
            "playbook_dir": str(tmp_path / "playbooks"),
            "inventory": str(tmp_path / "acme.ini"),
        },
        "*": {"kind": "webhook", "url": "https://runbooks.example/hook", "secret": "s" * 32},
        "lab": {"kind": "sim"},
    }
    monkeypatch.setenv("ACTUATORS", json.dumps(actuators))  # the environment's JSON, as an operator sets it
    settings = make_settings(tmp_path)
    simulated = Simulated()
    registry = ActuatorRegistry(settings.ACTUATORS, simulated)
    assert isinstance(registry.actuator_for("acme"), AnsibleActuator)
    globex = registry.actuator_for("globex")
    assert isinstance(globex, WebhookActuator) and registry.actuator_for("globex") is globex
    assert b'"tenant":"globex"' in globex.request_body(Action(action_id="a", action_type="b", agent="c", target="d"))
    assert registry.actuator_for("lab") is simulated
    assert [registry.kind_for(t) for t in ("acme", "globex", "lab")] == ["ansible", "webhook", "sim"]
    assert ActuatorRegistry({}, simulated).actuator_for("acme") is simulated


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"acme": {"kind": "salt"}}, "ACTUATORS.acme"),
        ({"acme": {"kind": "webhook", "url": "ftp://x", "secret": "s" * 32}}, "url"),
        ({"acme": {"kind": "webhook", "url": "https://x", "secret": "short"}}, "secret"),
        ({"acme": {"kind": "ansible", "playbook_dir": "/nonexistent", "inventory": "/nonexistent"}}, "playbook_dir"),
        ({" acme": {"kind": "sim"}}, "tenant"),
        ({"acme": {"kind": "sim", "extra": 1}}, "extra"),
    ],
)
def test_bad_actuator_settings_are_refused_naming_the_field(tmp_path: Path, value: object, needle: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_settings(tmp_path, ACTUATORS=value)
    assert needle in str(error.value)

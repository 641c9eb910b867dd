"""`AnsibleActuator` for real: ansible-runner runs playbooks on localhost (connection local) that change files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from data.actuators import AnsibleActuator
from data.errors import InvalidInput
from data.models import Action, ActionStatus

WRITE = """
- hosts: all
  gather_facts: false
  tasks:
    - name: write the marker file
      ansible.builtin.copy:
        dest: "{{ marker_path }}"
        content: "{{ message }} on {{ opsforge_target }} by {{ opsforge_action_id }}\\n"
"""
FAIL = """
- hosts: all
  gather_facts: false
  tasks:
    - name: refuse
      ansible.builtin.fail:
        msg: "service {{ service }} cannot restart"
"""


@pytest.fixture
def actuator(tmp_path: Path) -> AnsibleActuator:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "write_marker.yml").write_text(WRITE)
    (playbooks / "restart_service.yml").write_text(FAIL)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return AnsibleActuator(playbooks, inventory, timeout_s=120)


def action(action_type: str, target: str = "localhost", **params: object) -> Action:
    return Action(action_id="ACT-1", action_type=action_type, agent="TaskOps", target=target, params=params)


def test_a_playbook_changes_the_file_and_its_events_are_the_log(actuator: AnsibleActuator, tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    result = actuator.apply(action("write_marker", marker_path=str(marker), message="hello"))
    assert result.status is ActionStatus.COMPLETED, result.log
    assert marker.read_text() == "hello on localhost by ACT-1\n"
    assert result.hosts == ["localhost"]
    assert any("write the marker file" in line for line in result.log)
    assert any("changed=1" in line for line in result.log)


def test_a_failing_playbook_fails_with_its_message(actuator: AnsibleActuator) -> None:
    result = actuator.apply(action("restart_service", service="nginx"))
    assert result.status is ActionStatus.FAILED and not result.transient
    assert any("service nginx cannot restart" in line for line in result.log)


def test_a_target_outside_the_inventory_fails(actuator: AnsibleActuator, tmp_path: Path) -> None:
    result = actuator.apply(action("write_marker", target="db-9", marker_path=str(tmp_path / "x"), message="m"))
    assert result.status is ActionStatus.FAILED
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (action("../write_marker"), "action_type"),
        (action("no_such_playbook"), "action_type"),
        (action("write_marker", target="all"), "target"),
        (action("write_marker", target="web-*"), "target"),
        (action("write_marker", message="{{ lookup('pipe', 'id') }}"), "params.message"),
        (action("write_marker", ansible_connection="ssh"), "params.ansible_connection"),
        (action("write_marker", opts={"deep": ["{% x %}"]}), "params.opts.deep[0]"),
    ],
)
def test_refused_before_anything_runs(actuator: AnsibleActuator, bad: Action, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        actuator.apply(bad)
    assert error.value.field == field

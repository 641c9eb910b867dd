"""Real fleet actuators behind `data.actuation.FleetActuator`: Ansible playbooks and signed webhooks.

`AnsibleActuator` runs the playbook named after the action against a tenant's inventory;
`WebhookActuator` posts a signed JSON request to a runbook service (StackStorm, Rundeck, AWX or a
home-grown one). Both report what the back-end said in `ActionResult.log`; neither judges whether the
action fixed anything (the Executor verifies from observed state).
"""

from data.actuators.ansible import AnsibleActuator
from data.actuators.webhook import WebhookActuator, sign, verify_signature

__all__ = ["AnsibleActuator", "WebhookActuator", "sign", "verify_signature"]

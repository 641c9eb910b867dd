"""`ActuatorRegistry`: which `FleetActuator` acts on each tenant's fleet, from ``settings.ACTUATORS``."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from config.settings import ActuatorConfig, AnsibleActuatorConfig, SimActuatorConfig, WebhookActuatorConfig
from data.actuation import FleetActuator
from data.actuators import AnsibleActuator, WebhookActuator

DEFAULT_TENANT = "*"


class ActuatorRegistry:
    """Tenant -> actuator: the tenant's own entry, else the ``"*"`` entry, else the simulated fleet."""

    def __init__(self, configs: Mapping[str, ActuatorConfig], simulated: FleetActuator) -> None:
        self._simulated = simulated
        self._configs = dict(configs)
        self._lock = threading.Lock()
        self._actuators: dict[str, FleetActuator] = {}

    def _build(self, tenant: str, config: ActuatorConfig) -> FleetActuator:
        if isinstance(config, SimActuatorConfig):
            return self._simulated
        if isinstance(config, AnsibleActuatorConfig):
            return AnsibleActuator(config.playbook_dir, config.inventory, timeout_s=config.timeout_s)
        assert isinstance(config, WebhookActuatorConfig)
        secret = config.secret.get_secret_value().encode()
        return WebhookActuator(config.url, secret, tenant=tenant, timeout_s=config.timeout_s)

    def _config(self, tenant: str) -> ActuatorConfig | None:
        return self._configs.get(tenant) or self._configs.get(DEFAULT_TENANT)

    def actuator_for(self, tenant: str) -> FleetActuator:
        """Return the actuator that acts on ``tenant``'s fleet (built once per tenant; a webhook names the tenant)."""
        config = self._config(tenant)
        if config is None:
            return self._simulated
        with self._lock:
            actuator = self._actuators.get(tenant)
            if actuator is None:
                actuator = self._actuators[tenant] = self._build(tenant, config)
            return actuator

    def kind_for(self, tenant: str) -> str:
        """Return "sim", "ansible" or "webhook": the kind of `actuator_for` ``tenant``."""
        config = self._config(tenant)
        return config.kind if config else "sim"

"""The one settings class: read from the environment and `.env` once, validated, passed into `create_app`."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.auth import ADMIN_NAME, Role, TokenSpec, check_secret, parse_token_list
from data.prometheus import PromQuery


class KbBackend(StrEnum):
    MEMORY = "memory"
    SQLITE = "sqlite"
    DYNAMODB = "dynamodb"


class TerminalOutput(StrEnum):
    FULL = "full"
    SELECTIVE = "selective"
    NONE = "none"


class SimActuatorConfig(BaseModel):
    """Act on the built-in simulated fleet."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sim"]


class AnsibleActuatorConfig(BaseModel):
    """Run ``<playbook_dir>/<action>.yml`` with ansible-runner against ``inventory``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["ansible"]
    playbook_dir: Path
    inventory: Path
    timeout_s: Annotated[int, Field(ge=1, le=86_400)] = 600

    @model_validator(mode="after")
    def _paths_exist(self) -> AnsibleActuatorConfig:
        if not self.playbook_dir.is_dir():
            raise ValueError(f"playbook_dir {self.playbook_dir} is not a directory")
        if not self.inventory.exists():
            raise ValueError(f"inventory {self.inventory} does not exist")
        return self


class WebhookActuatorConfig(BaseModel):
    """POST each action, signed with HMAC-SHA256 of ``secret``, to ``url`` (StackStorm, Rundeck, AWX, ...)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)
    secret: SecretStr = Field(min_length=16)
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0


ActuatorConfig = Annotated[
    SimActuatorConfig | AnsibleActuatorConfig | WebhookActuatorConfig, Field(discriminator="kind")
]


LOOPBACK_NAMES = {"localhost", "ip6-localhost"}
DEFAULT_ALLOWED_HOSTS = "localhost,127.0.0.1,::1"


def is_loopback(host: str) -> bool:
    """Return True when ``host`` only accepts connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every tunable of the service. Invalid values stop start-up with a message naming the variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    HOST: str = "127.0.0.1"
    PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    KB_BACKEND: KbBackend = KbBackend.SQLITE
    KB_PATH: Path = Path("var/opsforge.sqlite3")
    KB_MEMORY_CAPACITY: Annotated[int, Field(ge=100)] = 50_000
    DYNAMODB_TABLE: str = Field(default="opsforge-kb", min_length=3, max_length=255)
    AWS_REGION: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    AWS_ENDPOINT_URL: str | None = None
    CORS_ORIGIN: str = "http://localhost:5173"
    TERMINAL_OUTPUT: TerminalOutput = TerminalOutput.FULL
    LOG_BUFFER_SIZE: Annotated[int, Field(ge=10, le=1_000_000)] = 2_000
    LEARNING_LOOP_ENABLED: bool = True
    # Narration only (incident summary and root-cause prose); every decision is made without it.
    BEDROCK_ENABLED: bool = False
    BEDROCK_MODEL_ID: str = Field(
        default="anthropic.claude-sonnet-4-20250514-v1:0",
        min_length=1,
        max_length=2048,
        validation_alias=AliasChoices("BEDROCK_MODEL_ID", "STRANDS_MODEL_ID"),  # the seed's name still works
    )
    BEDROCK_TIMEOUT_S: Annotated[float, Field(gt=0, le=120)] = 10.0
    BEDROCK_MAX_CONCURRENCY: Annotated[int, Field(ge=1, le=64)] = 2
    SIM_SEED: int = 42
    SIM_SPEED: Annotated[float, Field(gt=0, le=3600)] = 5.0
    SIM_TICK_SECONDS: Annotated[float, Field(gt=0, le=3600)] = 60.0
    SIM_AUTOSTART: bool = True
    # Simulated past stepped at the first start (empty knowledge base), so the detector's warm-up is history.
    SIM_HISTORY_HOURS: Annotated[float, Field(ge=0, le=168)] = 24.0
    INGEST_MAX_BODY_BYTES: Annotated[int, Field(ge=1024)] = 5 * 1024 * 1024
    INGEST_MAX_INFLIGHT: Annotated[int, Field(ge=1, le=64)] = 4
    # What one alert may hold, and how far ahead of this receiver's clock its times may be (422 above).
    ALERT_MAX_LABELS: Annotated[int, Field(ge=1)] = 64
    ALERT_MAX_LABEL_NAME_CHARS: Annotated[int, Field(ge=1)] = 256
    ALERT_MAX_LABEL_VALUE_CHARS: Annotated[int, Field(ge=1)] = 4_096
    ALERT_MAX_ANNOTATION_BYTES: Annotated[int, Field(ge=0)] = 65_536
    ALERT_MAX_CLOCK_SKEW_S: Annotated[float, Field(ge=0, le=86_400)] = 300.0
    ALERT_MAX_ENDS_AHEAD_S: Annotated[float, Field(ge=0, le=30 * 86_400)] = 86_400.0
    # Alerts the engine holds in memory, by count and by estimated bytes.
    ALERTOPS_MAX_TRACKED_ALERTS: Annotated[int, Field(ge=100)] = 200_000
    ALERTOPS_MAX_TRACKED_BYTES: Annotated[int, Field(ge=1024 * 1024)] = 512 * 1024 * 1024
    # One tenant's topology (422 above) and the neighbourhood work it may cost.
    TOPOLOGY_MAX_SERVICES: Annotated[int, Field(ge=1)] = 5_000
    TOPOLOGY_MAX_DEPENDENCIES: Annotated[int, Field(ge=0)] = 20_000
    TOPOLOGY_MAX_SERVICES_PER_HOST: Annotated[int, Field(ge=1)] = 64
    TOPOLOGY_MAX_FANOUT: Annotated[int, Field(ge=1)] = 32
    TOPOLOGY_CACHE_ENTRIES: Annotated[int, Field(ge=16)] = 4_096
    CORR_W_TOPOLOGY: Annotated[float, Field(ge=0)] = 0.55
    CORR_W_TIME: Annotated[float, Field(ge=0)] = 0.25
    CORR_W_LABELS: Annotated[float, Field(ge=0)] = 0.08
    CORR_W_COOCCURRENCE: Annotated[float, Field(ge=0)] = 0.12
    CORR_THRESHOLD: Annotated[float, Field(gt=0, lt=1)] = 0.55
    CORR_TIME_SCALE_S: Annotated[float, Field(gt=0)] = 300.0
    CORR_MAX_GAP_S: Annotated[float, Field(gt=0)] = 3600.0
    CORR_MERGE_THRESHOLD: Annotated[float, Field(gt=0, le=1)] = 0.75
    FORECAST_INTERVAL_S: Annotated[float, Field(gt=0, le=3600)] = 15.0
    # daily seasonal models join the forecast's model choice (for series whose window spans two days)
    FORECAST_SEASONAL: bool = False
    # The Executor's guardrails (config.guardrails.Limits); times are in the clock the Executor runs on
    # (sim time when simulated).
    EXEC_DRY_RUN: bool = False
    EXEC_ALLOWLIST: dict[str, list[str]] = Field(default_factory=lambda: {"*": ["*"]})
    EXEC_COOLDOWN_S: Annotated[float, Field(ge=0, le=86_400)] = 600.0
    EXEC_RATE_GLOBAL_PER_HOUR: Annotated[int, Field(ge=0, le=100_000)] = 60
    EXEC_RATE_TENANT_PER_HOUR: Annotated[int, Field(ge=0, le=100_000)] = 20
    EXEC_MAX_CONCURRENT_PER_TENANT: Annotated[int, Field(ge=1, le=1000)] = 3
    EXEC_MAX_CONCURRENT_PER_SERVICE: Annotated[int, Field(ge=1, le=1000)] = 1
    EXEC_MEDIUM_MIN_CONFIDENCE: Annotated[float, Field(ge=0, le=1)] = 0.8
    EXEC_TIMEOUT_S: Annotated[float, Field(gt=0, le=3600)] = 120.0
    EXEC_MAX_ATTEMPTS: Annotated[int, Field(ge=1, le=10)] = 3
    EXEC_RETRY_BACKOFF_S: Annotated[float, Field(ge=0, le=600)] = 1.0
    EXEC_WORKERS: Annotated[int, Field(ge=1, le=32)] = 4
    PATCH_TICK_S: Annotated[float, Field(gt=0, le=3600)] = 2.0
    PATCH_CANARY_FRACTION: Annotated[float, Field(gt=0, le=1)] = 0.1
    PATCH_WAVES: str = Field(default="0.1,0.5,1.0", max_length=200)
    PATCH_CANARY_BAKE_S: Annotated[float, Field(ge=0, le=7 * 86_400)] = 1800.0
    PATCH_WAVE_BAKE_S: Annotated[float, Field(ge=0, le=7 * 86_400)] = 900.0
    PATCH_AUTO_APPROVE_MIN_CVSS: Annotated[float | None, Field(ge=0, le=10)] = None
    PATCH_MAINTENANCE_WINDOWS: str = Field(default="", max_length=10_000)
    # TaskOps: act on new incidents by itself (through the Executor), and from which proposal confidence.
    AUTONOMY_ENABLED: bool = True
    AUTONOMY_MIN_CONFIDENCE: Annotated[float, Field(ge=0, le=1)] = 0.5
    ORCHESTRATOR_INTERVAL_S: Annotated[float, Field(gt=0, le=3600)] = 2.0
    # Scheduled tasks (backups, certificate renewal, log clean-up) run on their cron expressions.
    SCHEDULED_TASKS_ENABLED: bool = True
    # Wall seconds between two TaskOps passes at the most (bounds its cost when the simulator runs fast).
    TASKOPS_MIN_INTERVAL_S: Annotated[float, Field(ge=0, le=3600)] = 0.5
    # How long a high-risk action waits for approval, and how often overdue approvals are marked expired.
    APPROVAL_TTL_S: Annotated[float, Field(ge=60, le=7 * 86_400)] = 3600.0
    APPROVAL_SWEEP_S: Annotated[float, Field(gt=0, le=3600)] = 15.0
    # How long a process trusts its cached silences before reading the store again (other processes' changes).
    SILENCE_CACHE_S: Annotated[float, Field(ge=0, le=300)] = 5.0
    # Which back-end acts on each tenant's fleet: JSON {tenant or "*": {"kind": "sim" | "ansible" | "webhook", ...}}.
    ACTUATORS: dict[str, ActuatorConfig] = Field(default_factory=dict)
    # Horizon over which a filling resource's time-to-full opens a risk.
    EXHAUSTION_HORIZON_HOURS: Annotated[float, Field(gt=0, le=24 * 90)] = 24.0
    # Prometheus to read metrics from (none: no pull source), its queries and how their labels name series.
    PROMETHEUS_URL: str | None = None
    PROMETHEUS_QUERIES: list[PromQuery] = Field(default_factory=list, max_length=200)
    PROMETHEUS_STEP_S: Annotated[float, Field(ge=0.2, le=3600)] = 60.0
    PROMETHEUS_BACKFILL_HOURS: Annotated[float, Field(ge=0, le=24 * 14)] = 24.0
    PROMETHEUS_TIMEOUT_S: Annotated[float, Field(gt=0, le=300)] = 10.0
    PROMETHEUS_MAX_BACKOFF_S: Annotated[float, Field(gt=0, le=3600)] = 300.0
    # Remote-write bodies: largest decompressed size and most samples in one request.
    REMOTE_WRITE_MAX_BYTES: Annotated[int, Field(ge=1024, le=1024 * 1024 * 1024)] = 64 * 1024 * 1024
    REMOTE_WRITE_MAX_SAMPLES: Annotated[int, Field(ge=1, le=10_000_000)] = 200_000
    OPSFORGE_API_TOKEN: SecretStr | None = None
    OPSFORGE_API_TOKENS: SecretStr | None = None
    OPSFORGE_TOKEN_FILE: Path = Path("var/api-token")
    OPSFORGE_ALLOW_INSECURE: bool = False
    ALLOWED_HOSTS: str = DEFAULT_ALLOWED_HOSTS
    DASHBOARD_AUTO_LOGIN: bool = True
    FRONTEND_DIST: Path = Path("frontend/dist")

    @field_validator("OPSFORGE_API_TOKEN", "OPSFORGE_API_TOKENS", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("OPSFORGE_API_TOKEN")
    @classmethod
    def _token_is_strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_secret(value.get_secret_value(), "OPSFORGE_API_TOKEN")
        return value

    @field_validator("OPSFORGE_API_TOKENS")
    @classmethod
    def _token_list_is_valid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not parse_token_list(value.get_secret_value()):
            raise ValueError("OPSFORGE_API_TOKENS: no name:role:token entry")
        return value

    @field_validator("ALLOWED_HOSTS")
    @classmethod
    def _hosts_are_names(cls, value: str) -> str:
        hosts = cls.split_origins(value)
        if not hosts:
            raise ValueError("ALLOWED_HOSTS: name at least one host (or '*' for any)")
        for host in hosts:
            if host != "*" and not re.fullmatch(r"[A-Za-z0-9.:_-]{1,253}", host):
                raise ValueError(f"ALLOWED_HOSTS: {host!r} is not a host name or address (no scheme, no port)")
        return value

    @field_validator("AWS_ENDPOINT_URL", "PROMETHEUS_URL", mode="before")
    @classmethod
    def _empty_endpoint_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("PATCH_AUTO_APPROVE_MIN_CVSS", mode="before")
    @classmethod
    def _empty_cvss_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("PATCH_WAVES")
    @classmethod
    def _waves_increase_to_one(cls, value: str) -> str:
        try:
            shares = [float(part) for part in value.split(",")]
        except ValueError:
            raise ValueError("comma-separated numbers, e.g. 0.1,0.5,1.0") from None
        if shares != sorted(shares) or shares[-1] != 1.0 or shares[0] <= 0 or len(set(shares)) != len(shares):
            raise ValueError("cumulative shares of the fleet after each wave, increasing, ending at 1.0")
        return value

    @field_validator("PATCH_MAINTENANCE_WINDOWS")
    @classmethod
    def _windows_parse(cls, value: str) -> str:
        from data.errors import InvalidInput
        from data.patch_windows import MaintenanceWindows

        try:
            MaintenanceWindows(value)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return value

    @property
    def patch_waves(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.PATCH_WAVES.split(","))

    @field_validator("EXEC_ALLOWLIST")
    @classmethod
    def _allowlist_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for tenant, actions in value.items():
            if not tenant or len(tenant) > 200:
                raise ValueError("tenant names must be 1-200 characters ('*' is the default for every tenant)")
            bad = [a for a in actions if not a or len(a) > 64 or (not a.replace("_", "").isalnum() and a != "*")]
            if bad:
                raise ValueError(f"{tenant}: {bad[0]!r} is not an action id or '*'")
        return value

    @field_validator("ACTUATORS")
    @classmethod
    def _actuator_tenants_are_names(cls, value: dict[str, object]) -> dict[str, object]:
        for tenant in value:
            if not tenant or len(tenant) > 200 or tenant != tenant.strip():
                raise ValueError(f"tenant {tenant!r}: a tenant name (1-200 characters, no surrounding spaces) or '*'")
        return value

    @field_validator("PROMETHEUS_URL")
    @classmethod
    def _prometheus_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _prometheus_needs_queries(self) -> Settings:
        if self.PROMETHEUS_URL is not None and not self.PROMETHEUS_QUERIES:
            raise ValueError("PROMETHEUS_URL is set but PROMETHEUS_QUERIES is empty: give at least one query")
        if self.PROMETHEUS_QUERIES and self.PROMETHEUS_URL is None:
            raise ValueError("PROMETHEUS_QUERIES is set but PROMETHEUS_URL is not")
        return self

    @field_validator("CORS_ORIGIN")
    @classmethod
    def _origins_are_urls_or_star(cls, value: str) -> str:
        for origin in cls.split_origins(value):
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"origin {origin!r} must start with http:// or https:// (or be '*')")
        return value

    @model_validator(mode="after")
    def _refuse_open_bind_without_token(self) -> Settings:
        # An unauthenticated control plane on a routable address lets anyone flip the kill switch.
        explicit = self.OPSFORGE_API_TOKEN is not None or self.OPSFORGE_API_TOKENS is not None
        if not is_loopback(self.HOST) and not explicit and not self.OPSFORGE_ALLOW_INSECURE:
            raise ValueError(
                f"HOST={self.HOST} is not a loopback address: set OPSFORGE_API_TOKEN or OPSFORGE_API_TOKENS "
                "(or OPSFORGE_ALLOW_INSECURE=1 to accept an unauthenticated API)"
            )
        return self

    @staticmethod
    def split_origins(value: str) -> list[str]:
        """Return the comma-separated origins of ``CORS_ORIGIN``, stripped, empties dropped."""
        return [part.strip() for part in value.split(",") if part.strip()]

    @property
    def cors_origins(self) -> list[str]:
        return self.split_origins(self.CORS_ORIGIN)

    @property
    def api_token(self) -> str | None:
        return self.OPSFORGE_API_TOKEN.get_secret_value() if self.OPSFORGE_API_TOKEN else None

    @property
    def allowed_hosts(self) -> list[str]:
        """Return the host names the server answers to, lower-cased (``*``: any)."""
        return [host.lower() for host in self.split_origins(self.ALLOWED_HOSTS)]

    @property
    def token_specs(self) -> list[TokenSpec]:
        """Return the configured tokens: each of ``OPSFORGE_API_TOKENS``, and ``OPSFORGE_API_TOKEN`` as admin.

        Empty when neither is set: the service then uses the token generated in ``OPSFORGE_TOKEN_FILE``."""
        specs = parse_token_list(self.OPSFORGE_API_TOKENS.get_secret_value()) if self.OPSFORGE_API_TOKENS else []
        if self.api_token is not None and all(spec.secret != self.api_token for spec in specs):
            name = ADMIN_NAME if all(spec.name != ADMIN_NAME for spec in specs) else "api-token"
            specs.append(TokenSpec(name, Role.ADMIN, self.api_token))
        return specs


def describe_error(error: ValidationError) -> str:
    """Return one line per invalid variable, naming it, for the start-up failure message."""
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{name}: {item['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings() -> Settings:
    """Read settings from the environment and `.env`; raise SystemExit naming each invalid variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(describe_error(error)) from None

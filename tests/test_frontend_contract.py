"""The dashboard's TypeScript response types name only fields the API's OpenAPI schema really has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend_api import create_app
from tests.conftest import REPO_ROOT, make_settings

TYPES = REPO_ROOT / "frontend" / "src" / "api" / "types.ts"
SCHEMA_OF = {
    "Metrics": "MetricsOut",
    "Agent": "AgentOut",
    "IncidentSummary": "IncidentSummary",
    "IncidentDetail": "IncidentDetail",
    "TimelineEntry": "TimelineEntry",
    "Alert": "Alert",
    "AlertPage": "AlertPage",
    "KillSwitch": "KillSwitchOut",
    "SimulationStatus": "SimulationStatusOut",
    "LogEntry": "LogEntry",
    "SeriesDetail": "SeriesOut",
    "ForecastOverview": "ForecastsOut",
    "RiskRow": "RiskOut",
    "DetectionQuality": "DetectionQualityOut",
    "RiskCalibration": "RiskCalibrationOut",
    "PatchSummary": "PatchSummary",
    "PatchPlan": "PatchPlan",
    "PatchHost": "PatchHost",
    "CanaryPhase": "CanaryPhase",
    "HealthCheck": "HealthCheck",
    "MetricComparison": "MetricComparison",
    "Advisory": "Advisory",
    "AuditLogRow": "AuditLogRow",
    "ChainStatus": "ChainStatusOut",
    "Approval": "Approval",
    "Silence": "SilenceOut",
    "SilenceMatcher": "Matcher",
}


def interface_fields(source: str) -> dict[str, list[str]]:
    """Return the top-level field names of each exported TypeScript interface."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"export interface (\w+)(?: extends \w+)? \{\n(.*?)\n\}", source, re.S):
        found[match.group(1)] = re.findall(r"^  (\w+)\??:", match.group(2), re.M)
    return found


@pytest.mark.skipif(not TYPES.exists(), reason="the dashboard sources are not present")
def test_typescript_types_match_openapi(tmp_path: Path) -> None:
    schemas = create_app(make_settings(tmp_path)).openapi()["components"]["schemas"]
    interfaces = interface_fields(TYPES.read_text())
    assert set(SCHEMA_OF) <= set(interfaces)
    for interface, schema in SCHEMA_OF.items():
        properties = set(schemas[schema]["properties"])
        missing = [name for name in interfaces[interface] if name not in properties]
        assert not missing, f"{interface} names fields {missing} that {schema} does not have"

"""The OpenAPI document: security schemes, the gate's responses, path parameters as the gate accepts them."""

from __future__ import annotations

import re
from pathlib import Path

from backend_api import create_app
from tests.conftest import api_client, make_settings


def test_the_document_declares_security_and_the_gate_responses(tmp_path: Path) -> None:
    with api_client(create_app(make_settings(tmp_path)), token=None) as client:
        document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["localDashboardSession"]["in"] == "cookie"
    assert document["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]
    paths = document["paths"]
    assert paths["/api/health"]["get"]["security"] == [] and "401" not in paths["/api/health"]["get"]["responses"]
    put = paths["/api/kill-switch"]["put"]
    assert {"bearerToken": []} in put["security"]
    assert {"400", "401", "403", "413", "414", "415", "421", "422"} <= set(put["responses"])
    error = put["responses"]["415"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorOut"}
    get = paths["/api/kill-switch/status"]["get"]
    assert "401" in get["responses"] and "415" not in get["responses"]
    for path, item in paths.items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "string":
                    pattern = parameter["schema"].get("pattern")
                    assert pattern and not re.fullmatch(pattern, "a\x00b"), (path, parameter["name"])

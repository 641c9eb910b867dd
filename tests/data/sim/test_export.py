"""The offline export: four consistent files, byte-identical for the same arguments."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from data.sim.export import export_run, main
from data.sim.truth import AlertTruth
from data.timeutil import parse_iso


def test_export_files_are_consistent_and_reproducible(tmp_path: Path) -> None:
    summary = export_run(seed=5, hours=3, out=tmp_path / "a")
    assert "faults" in summary
    export_run(seed=5, hours=3, out=tmp_path / "b")
    for name in ("alerts.jsonl", "metrics.csv", "truth.json", "topology.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

    out = tmp_path / "a"
    truth = json.loads((out / "truth.json").read_text())
    fault_ids = {f["id"] for f in truth["faults"]}
    keys = {(a["fingerprint"], parse_iso(a["startsAt"])): AlertTruth(**a) for a in truth["alerts"]}
    assert {a.fault_id for a in keys.values()} - {None} <= fault_ids

    payloads = [json.loads(line) for line in (out / "alerts.jsonl").read_text().splitlines()]
    assert payloads
    seen = set()
    for payload in payloads:
        assert payload["version"] == "4" and payload["receiver"] and payload["groupKey"]
        assert set(payload) == {
            "receiver",
            "status",
            "alerts",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
            "version",
            "groupKey",
            "truncatedAlerts",
        }
        for alert in payload["alerts"]:
            key = (alert["fingerprint"], parse_iso(alert["startsAt"]))
            assert key in keys, "alert without a truth entry"
            assert set(alert["labels"].items()) >= set(payload["commonLabels"].items())
            seen.add(key)
    assert seen == set(keys), "truth lists alerts that were never exported"

    with (out / "metrics.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["timestamp", "host", "metric", "value"]
    assert len(rows) - 1 == 3 * 60 * 60 * 7

    topologies = json.loads((out / "topology.json").read_text())
    hosts = {h for t in topologies for s in t["services"] for h in s["hosts"]}
    assert {r[1] for r in rows[1:]} == hosts and len(topologies) == 4


def test_export_cli_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["export", "--seed", "3", "--hours", "0.5", "--out", str(out)]) == 0
    assert "webhook payloads" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {"alerts.jsonl", "metrics.csv", "truth.json", "topology.json"}

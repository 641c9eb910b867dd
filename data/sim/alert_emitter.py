"""Turns rule transitions and fault events into Alertmanager-style `AlertIn`s, and records each new
occurrence with its cause in the truth log.

Rule alerts carry the evaluation time as ``startsAt`` (Prometheus' "fired at"); event alerts carry the
second the event happened. Firing alerts repeat every ``repeat_s`` with the same ``startsAt``; resolved
ones carry ``endsAt``. Labels follow Prometheus conventions; nothing on an alert says which fault caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from data.labels import label_fingerprint
from data.models import AlertIn, AlertState
from data.sim.alert_rules import RULES, RuleEngine, Transitions
from data.sim.faults import Fault
from data.sim.fleet import Fleet
from data.sim.metrics_simulator import Effects
from data.sim.noise import noise_condition
from data.sim.truth import TruthLog

EVENT_SOURCE_URL = "http://loki.sim:3100/alerts"


def to_dt(t: float) -> datetime:
    """Return epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(t, UTC)


@dataclass
class _EventAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    fingerprint: str
    starts: datetime
    last_sent: float


def _alert(
    labels: dict[str, str],
    annotations: dict[str, str],
    fp: str,
    url: str,
    starts: datetime,
    status: AlertState,
    ends: datetime | None,
) -> AlertIn:
    # Built without re-validation: every field is produced here, typed and UTC-aware.
    return AlertIn.model_construct(
        labels=dict(labels),
        annotations=dict(annotations),
        status=status,
        startsAt=starts,
        endsAt=ends,
        fingerprint=fp,
        generatorURL=url,
        source=None,
    )


class AlertEmitter:
    """Keeps the firing alerts of one world between steps; not thread-safe (the world's lock guards it)."""

    def __init__(self, fleet: Fleet, rules: RuleEngine, truth: TruthLog, repeat_s: float) -> None:
        self.fleet = fleet
        self.rules = rules
        self.truth = truth
        self.repeat_s = repeat_s
        self._host_labels = [
            {"instance": h.name, "service": h.service, "tenant": h.tenant, "site": h.site} for h in fleet.hosts
        ]
        self._rule_meta: dict[tuple[int, int], tuple[dict[str, str], str, str, str]] = {}
        self._rule_firing: dict[tuple[int, int], datetime] = {}
        self._events: dict[str, list[_EventAlert]] = {}

    def attribute(self, fault: Fault, host: int) -> str:
        """Note that ``fault`` reached ``host`` (truth log) and return the fault id."""
        h = self.fleet.hosts[host]
        if h.name not in fault.affected_hosts or h.service not in fault.affected_services:
            fault.affected_hosts.add(h.name)
            fault.affected_services.add(h.service)
            self.truth.update_fault(
                fault.id, affected_hosts=sorted(fault.affected_hosts), affected_services=sorted(fault.affected_services)
            )
        return fault.id

    def rule_alerts(
        self, tr: Transitions, values: NDArray[np.float64], effects: Effects, faults: list[Fault], now: datetime
    ) -> list[AlertIn]:
        """Alerts for one evaluation; a new one is attributed to the source dominating its signal."""
        out: list[AlertIn] = []
        for h, r in tr.fired:
            self._rule_firing[(h, r)] = now
            cause = int(effects.cause[h, self.rules.signal_idx[r]])
            fault_id = self.attribute(faults[cause], h) if cause >= 0 else None
            alert = self._rule_alert(h, r, values, now, AlertState.FIRING, None)
            host = self.fleet.hosts[h].name
            self.truth.record_alert(alert.fingerprint or "", now, RULES[r].name, host, fault_id, noise_condition(cause))
            out.append(alert)
        for h, r in tr.repeated:
            out.append(self._rule_alert(h, r, values, self._rule_firing[(h, r)], AlertState.FIRING, None))
        for h, r in tr.resolved:
            starts = self._rule_firing.pop((h, r))
            out.append(self._rule_alert(h, r, values, starts, AlertState.RESOLVED, now))
        return out

    def _rule_alert(
        self, h: int, r: int, values: NDArray[np.float64], starts: datetime, status: AlertState, ends: datetime | None
    ) -> AlertIn:
        rule = RULES[r]
        cached = self._rule_meta.get((h, r))
        if cached is None:
            labels = {"alertname": rule.name, "severity": rule.severity.value, "job": rule.job, **self._host_labels[h]}
            summary = rule.summary.format(instance=labels["instance"], service=labels["service"])
            url = f"http://prometheus.{labels['site']}.sim:9090/alerts?alert={rule.name}"
            cached = self._rule_meta[(h, r)] = (labels, label_fingerprint(labels), summary, url)
        labels, fp, summary, url = cached
        value = float(values[h, self.rules.signal_idx[r]])
        description = f"{rule.signal} = {value:.2f} ({rule.op} {self.rules.thresholds[h, r]:.2f} for {rule.for_s:g}s)"
        annotations = {"summary": summary, "description": description}
        return _alert(labels, annotations, fp, url, starts, status, ends)

    def event_alerts(self, t: float, active: list[Fault], ended: list[Fault]) -> list[AlertIn]:
        """Raise the fault events due by ``t``, repeat the firing ones, resolve those of ``ended`` faults."""
        out: list[AlertIn] = []
        for fault in active:
            fired = self._events.setdefault(fault.id, [])
            while fault.pending and fault.pending[0].due <= t:
                ev = fault.pending.pop(0)
                host = self.fleet.hosts[ev.host]
                labels = {"alertname": ev.alertname, "severity": ev.severity.value, "job": "logs"}
                labels.update(self._host_labels[ev.host])
                annotations = {"summary": ev.summary, "description": f"{ev.summary} on {host.name}"}
                record = _EventAlert(labels, annotations, label_fingerprint(labels), to_dt(ev.due), t)
                fired.append(record)
                fault_id = self.attribute(fault, ev.host)
                self.truth.record_alert(record.fingerprint, record.starts, ev.alertname, host.name, fault_id)
                out.append(self._event_alert(record, AlertState.FIRING, None))
            for record in fired:
                if t - record.last_sent >= self.repeat_s:
                    record.last_sent = t
                    out.append(self._event_alert(record, AlertState.FIRING, None))
        for fault in ended:
            for record in self._events.pop(fault.id, []):
                out.append(self._event_alert(record, AlertState.RESOLVED, to_dt(fault.ended or t)))
        return out

    @staticmethod
    def _event_alert(record: _EventAlert, status: AlertState, ends: datetime | None) -> AlertIn:
        return _alert(
            record.labels, record.annotations, record.fingerprint, EVENT_SOURCE_URL, record.starts, status, ends
        )

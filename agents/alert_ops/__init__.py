"""AlertOps: turns a stream of alerts into a few incidents with a root cause.

Dedup (`dedup`), the link score between an alert and an open incident (`link_score`), the join / open /
merge decision (`correlator`), incident lifecycle (`lifecycle`), restore after a restart (`restore`),
root-cause ranking and the pushed and learned topology. Other code imports the names below.
"""

from agents.alert_ops.admission import AlertLimits
from agents.alert_ops.configured import build_alert_ops
from agents.alert_ops.dedup import fingerprint_of
from agents.alert_ops.engine import AlertOps, IngestResult
from agents.alert_ops.lifecycle import LifecyclePolicy
from agents.alert_ops.link_score import CorrelationWeights
from agents.alert_ops.topology import TopologyLimits, TopologyRegistry

__all__ = [
    "AlertLimits",
    "AlertOps",
    "CorrelationWeights",
    "IngestResult",
    "LifecyclePolicy",
    "TopologyLimits",
    "TopologyRegistry",
    "build_alert_ops",
    "fingerprint_of",
]

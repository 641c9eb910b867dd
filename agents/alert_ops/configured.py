"""AlertOps built from the service's settings: correlation weights, lifecycle bounds, topology and alert limits."""

from __future__ import annotations

from datetime import timedelta

from agents.alert_ops.admission import AlertLimits
from agents.alert_ops.engine import AlertOps
from agents.alert_ops.lifecycle import LifecyclePolicy
from agents.alert_ops.link_score import CorrelationWeights
from agents.alert_ops.topology import TopologyLimits, TopologyRegistry
from config.knowledge_base import KnowledgeBase
from config.settings import Settings


def build_alert_ops(kb: KnowledgeBase, settings: Settings) -> AlertOps:
    """Return the engine over ``kb`` with every bound and weight ``settings`` configures."""
    return AlertOps(
        kb,
        weights=correlation_weights(settings),
        policy=LifecyclePolicy(
            max_tracked_alerts=settings.ALERTOPS_MAX_TRACKED_ALERTS,
            max_tracked_bytes=settings.ALERTOPS_MAX_TRACKED_BYTES,
        ),
        topology=TopologyRegistry(
            TopologyLimits(
                max_services=settings.TOPOLOGY_MAX_SERVICES,
                max_dependencies=settings.TOPOLOGY_MAX_DEPENDENCIES,
                max_services_per_host=settings.TOPOLOGY_MAX_SERVICES_PER_HOST,
                max_fanout=settings.TOPOLOGY_MAX_FANOUT,
                cache_entries=settings.TOPOLOGY_CACHE_ENTRIES,
            )
        ),
        limits=AlertLimits(
            max_labels=settings.ALERT_MAX_LABELS,
            max_label_name_chars=settings.ALERT_MAX_LABEL_NAME_CHARS,
            max_label_value_chars=settings.ALERT_MAX_LABEL_VALUE_CHARS,
            max_annotation_bytes=settings.ALERT_MAX_ANNOTATION_BYTES,
            max_clock_skew=timedelta(seconds=settings.ALERT_MAX_CLOCK_SKEW_S),
            max_ends_ahead=timedelta(seconds=settings.ALERT_MAX_ENDS_AHEAD_S),
        ),
    )


def correlation_weights(settings: Settings) -> CorrelationWeights:
    """Return the correlation weights and threshold configured in ``settings``."""
    return CorrelationWeights(
        topology=settings.CORR_W_TOPOLOGY,
        time=settings.CORR_W_TIME,
        labels=settings.CORR_W_LABELS,
        cooccurrence=settings.CORR_W_COOCCURRENCE,
        threshold=settings.CORR_THRESHOLD,
        merge_threshold=settings.CORR_MERGE_THRESHOLD,
        time_scale_s=settings.CORR_TIME_SCALE_S,
        max_gap_s=settings.CORR_MAX_GAP_S,
    )

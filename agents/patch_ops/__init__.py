"""PatchOps: progressive patch roll-outs (plans from advisories, canary and waves with bake times, a
statistical canary judge, automatic rollback) persisted step by step and run through the Executor.

Other code imports the names below.
"""

from agents.patch_ops.analysis import AnomalyCount, MetricSource, Subject, judge
from agents.patch_ops.executor_port import ActionRequest, ExecutedAction, ExecutionState, ExecutorPort
from agents.patch_ops.planner import affected, build_plan
from agents.patch_ops.policy import RolloutPolicy
from agents.patch_ops.rollout import RolloutEngine
from agents.patch_ops.service import PatchOps
from data.patch_windows import MaintenanceWindows

__all__ = [
    "ActionRequest",
    "AnomalyCount",
    "ExecutedAction",
    "ExecutionState",
    "ExecutorPort",
    "MaintenanceWindows",
    "MetricSource",
    "PatchOps",
    "RolloutEngine",
    "RolloutPolicy",
    "Subject",
    "affected",
    "build_plan",
    "judge",
]

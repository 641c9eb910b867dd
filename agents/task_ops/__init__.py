"""TaskOps: the runbook catalogue, remedies proposed for incidents and risks, and scheduled tasks.

`CATALOGUE`/`SPECS` list every runbook action (schema, preconditions, risk, effect, verification,
rollback); `Proposer` maps symptoms to remedies with learned confidence; `Autopilot` submits remedies
for open incidents; `TaskScheduler` runs cron tasks; `TaskOps` ties them to one tick. Every action goes
through the Executor (`config.action_executor`); TaskOps never touches the fleet itself.
"""

from agents.task_ops.autopilot import Autopilot, OutcomeLearner
from agents.task_ops.catalogue import CATALOGUE, SPECS
from agents.task_ops.proposals import Proposal, Proposer, symptoms_of
from agents.task_ops.scheduler import TASKS, ScheduledTask, TaskScheduler
from agents.task_ops.task_ops import TaskOps, TickResult

__all__ = [
    "CATALOGUE",
    "SPECS",
    "TASKS",
    "Autopilot",
    "OutcomeLearner",
    "Proposal",
    "Proposer",
    "ScheduledTask",
    "TaskOps",
    "TaskScheduler",
    "TickResult",
    "symptoms_of",
]

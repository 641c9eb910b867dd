"""TaskOps: the runbook catalogue, remedies proposed for incidents and risks, and scheduled tasks.

Every action TaskOps wants goes through the Executor (`config.action_executor`); TaskOps never touches
the fleet itself.
"""

from agents.task_ops.catalogue import CATALOGUE, SPECS

__all__ = ["CATALOGUE", "SPECS"]

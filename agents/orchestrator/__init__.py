"""The Orchestrator: perceives incidents, selects agents, decides with the learning policy, acts through the
Executor, verifies, records outcomes and narrates afterwards. Other code imports the names below."""

from agents.orchestrator.decisions import DecisionLog, Tracked
from agents.orchestrator.orchestrator import NAME, REQUESTER, Orchestrator
from agents.orchestrator.perception import Offer, Perception, perceive
from agents.orchestrator.ports import ActionPort, Proposer, Rollouts, Timeline
from agents.orchestrator.rollouts import PatchCommands, PatchOpsRollouts

__all__ = [
    "NAME",
    "REQUESTER",
    "ActionPort",
    "DecisionLog",
    "Offer",
    "Orchestrator",
    "PatchCommands",
    "PatchOpsRollouts",
    "Perception",
    "Proposer",
    "Rollouts",
    "Timeline",
    "Tracked",
    "perceive",
]

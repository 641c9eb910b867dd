"""Domain logic (no FastAPI, no boto3): AlertOps, PredictiveOps, PatchOps, TaskOps and the orchestrator."""

"""Domain data: pydantic models, the simulated fleet, its metric and alert simulators and fault scenarios."""

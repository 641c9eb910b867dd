"""The simulated world: fleet and topology, metric and alert simulators, faults and scenarios, advisories,
the simulated actuator, ground truth and the offline export CLI. Nothing outside the simulator and its
runner depends on it; the engine sees only the sinks of `data.sinks` and the `data.actuation` seam."""

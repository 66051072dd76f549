"""Kit side: the device agent and the simulators used by the demo, tests and benchmarks."""

"""The runtime's core: `AlphaRuntime`, the parallel executor, the agent registry, run memory,
run events, the generic signal step and the project's exception tree."""

"""Registry of the agents a runtime runs."""

from __future__ import annotations

from alpha.agents.base import BaseAgent

__all__ = ["AgentRegistry"]


class AgentRegistry:
    """Agents by unique name, in registration order."""

    def __init__(self) -> None:
        self._agents: dict[str, BaseAgent] = {}

    def register(self, agent: BaseAgent) -> None:
        """Add an agent; an empty name or one already registered raises `ValueError`."""
        if not agent.name:
            raise ValueError(f"agent {type(agent).__name__} has no name")
        if agent.name in self._agents:
            raise ValueError(f"an agent named {agent.name!r} is already registered")
        self._agents[agent.name] = agent

    def get_by_name(self, name: str) -> BaseAgent | None:
        """The agent with this name, or None."""
        return self._agents.get(name)

    def get_all(self) -> list[BaseAgent]:
        """Every registered agent, in registration order."""
        return list(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)

    def __contains__(self, name: object) -> bool:
        return name in self._agents

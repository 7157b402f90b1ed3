"""Agent base classes."""

from alpha.agents.base import AgentContext, BaseAgent

__all__ = ["AgentContext", "BaseAgent"]

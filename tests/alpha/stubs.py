"""Misbehaving agents shared by the executor and runtime tests."""

import asyncio

from alpha.agents.base import AgentContext, BaseAgent
from alpha.schemas import AgentResult


class Raiser(BaseAgent):
    """Raises the given exception instead of returning a result."""

    name = "raiser"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def run(self, context: AgentContext) -> AgentResult:
        raise self.error


class Hanger(BaseAgent):
    """Never returns: only a deadline or a cancellation ends it."""

    name = "hanger"

    async def run(self, context: AgentContext) -> AgentResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

"""The provider-agnostic LLM interface."""

from __future__ import annotations

from abc import ABC, abstractmethod

from alpha.schemas import TokenUsage


class LLMClient(ABC):
    """Completes a (system, user) prompt pair to text.

    Implementations record token usage in `usage` (the running total) and `last_usage` (the
    latest call) when the provider reports it, and raise subclasses of
    `alpha.core.errors.LLMError` on failure. A client shared by concurrent callers mixes their
    usage: give each agent its own client when usage must be attributed.
    """

    model: str = ""

    def __init__(self) -> None:
        self.usage = TokenUsage()
        self.last_usage: TokenUsage | None = None

    @abstractmethod
    async def complete(self, system: str, user: str) -> str:
        """Return the model's answer as text."""

    async def complete_json(self, system: str, user: str, schema: dict[str, object]) -> str:
        """Like `complete`, asking for JSON matching `schema` where the provider supports it.

        The default ignores the schema; the structured-output helper validates the text.
        """
        return await self.complete(system, user)

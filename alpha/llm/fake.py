"""A scripted `LLMClient` for tests and offline demos (like pydantic-ai's TestModel).

    client = ScriptedLLMClient(['{"hypotheses": []}', LLMTimeoutError("slow"), reply_fn])

Each call consumes the next script entry: a `str` is the answer, an `Exception` is raised,
a callable `(system, user) -> str` computes the answer from the prompt. Every call is
recorded in `calls` (system, user, and the schema for `complete_json`). Running past the
end of the script raises `ScriptExhaustedError`, which is deliberately *not* an `LLMError`:
a test that under-scripts its model should fail loudly, not trigger an agent's fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alpha.llm.base import LLMClient
from alpha.schemas import TokenUsage

ScriptItem = str | BaseException | Callable[[str, str], str]


class ScriptExhaustedError(RuntimeError):
    """The scripted client was called more times than it has answers."""


@dataclass(frozen=True)
class LLMCall:
    """One call the scripted client received."""

    system: str
    user: str
    schema: dict[str, object] | None = None


class ScriptedLLMClient(LLMClient):
    """An `LLMClient` answering from a fixed script.

    Args:
        responses: one entry per call, in order (see the module docstring).
        delay: seconds to wait before each answer (to exercise timeouts and live displays).
        usage_per_call: usage added to `usage` for every call that returns an answer
            (default: a call counted, no tokens).
        model: the model name reported by the client.
    """

    def __init__(
        self,
        responses: Sequence[ScriptItem],
        *,
        delay: float = 0.0,
        usage_per_call: TokenUsage | None = None,
        model: str = "scripted",
    ) -> None:
        super().__init__()
        self.model = model
        self.calls: list[LLMCall] = []
        self._responses = list(responses)
        self._delay = delay
        self._usage_per_call = usage_per_call or TokenUsage(calls=1)

    @property
    def remaining(self) -> int:
        """Script entries not yet used."""
        return len(self._responses) - len(self.calls)

    async def complete(self, system: str, user: str) -> str:
        """The next scripted answer."""
        return await self._answer(LLMCall(system, user))

    async def complete_json(self, system: str, user: str, schema: dict[str, object]) -> str:
        """The next scripted answer; the schema is recorded, not enforced."""
        return await self._answer(LLMCall(system, user, schema))

    async def _answer(self, call: LLMCall) -> str:
        index = len(self.calls)
        self.calls.append(call)
        if index >= len(self._responses):
            raise ScriptExhaustedError(
                f"ScriptedLLMClient({self.model!r}) has {len(self._responses)} scripted "
                f"answers but was called a {index + 1}th time; user prompt: {call.user[:200]!r}"
            )
        if self._delay > 0:
            await asyncio.sleep(self._delay)
        item = self._responses[index]
        if isinstance(item, BaseException):
            raise item
        text = item if isinstance(item, str) else item(call.system, call.user)
        self.last_usage = self._usage_per_call
        self.usage = self.usage.add(self._usage_per_call)
        return text

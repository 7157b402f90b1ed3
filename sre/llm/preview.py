"""`alpha investigate --show-prompt`: the prompts the model would get, without sending them.

A preview mode runs the investigation exactly as `--llm` would, with a client that records
each (system, user) pair and answers nothing: every agent builds its real prompt (relevant
evidence, redacted, fenced, within the budget) and then falls back to its rules. Nothing
leaves the machine, so no endpoint or key is needed; the configured prompt budget and
per-agent models are used when set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alpha.core.errors import LLMProviderError
from alpha.llm.base import LLMClient
from sre.llm.breaker import BreakerBoard
from sre.llm.mode import LLMMode
from sre.llm.settings import ReasoningSettings

NOT_SENT = "not sent: --show-prompt"


@dataclass(frozen=True)
class CapturedPrompt:
    """One prompt as it would have been sent."""

    model: str
    system: str
    user: str


@dataclass
class PromptRecorder:
    """Collects the prompts of a preview run, in the order they were built."""

    prompts: list[CapturedPrompt] = field(default_factory=list)

    def client(self, model: str) -> LLMClient:
        """A client for `model` that records and never sends."""
        return _RecordingClient(model, self)


class _RecordingClient(LLMClient):
    def __init__(self, model: str, recorder: PromptRecorder) -> None:
        super().__init__()
        self.model = model
        self._recorder = recorder

    async def complete(self, system: str, user: str) -> str:
        self._recorder.prompts.append(CapturedPrompt(self.model, system, user))
        raise LLMProviderError(NOT_SENT)

    async def complete_json(self, system: str, user: str, schema: dict[str, object]) -> str:
        return await self.complete(system, user)


def preview_mode(
    reasoning: ReasoningSettings | None = None, default_model: str | None = None
) -> tuple[LLMMode, PromptRecorder]:
    """An LLM mode that records prompts instead of sending them, and its recorder.

    Args:
        reasoning: The configured budget and per-agent models (defaults when None).
        default_model: `ALPHA_LLM_MODEL` when set.
    """
    recorder = PromptRecorder()
    reasoning = reasoning or ReasoningSettings()
    from sre.agents.roster import AGENT_NAMES

    models = {n: m for n in AGENT_NAMES if (m := reasoning.model_override(n)) is not None}
    mode = LLMMode(
        client_factory=recorder.client,
        provider="show-prompt",
        models=models,
        default_model=default_model,
        prompt_budget=reasoning.prompt_budget,
        token_cap=reasoning.token_cap,
        completion_tokens=reasoning.max_completion_tokens,
        deadline=reasoning.deadline,
        # No call is made: a breaker must never stop an agent from building its prompt.
        breakers=BreakerBoard(failures=1_000_000),
    )
    return mode, recorder

"""The agent extension point: `BaseAgent` and the `AgentContext` it receives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from alpha.llm.base import LLMClient
from alpha.schemas import AgentResult, IncidentInput, Signal

__all__ = ["AgentContext", "BaseAgent"]


def _ignore_progress(message: str) -> None:
    """Default progress sink: an agent run outside the runtime reports to nobody."""


@dataclass(frozen=True)
class AgentContext:
    """What an agent sees: the extracted signals and the incident they came from.

    `progress` lets an agent report what it is doing ("asking the model", "3 rules fired");
    the runtime turns each call into an `agent_progress` event. `signal_index` is what the
    runtime's `signal_index` hook built from the signals once for the run and shares with
    every agent (None without a hook); the runtime does not know its type, so an agent checks
    it is the index it expects before using it.
    """

    signals: list[Signal]
    incident: IncidentInput
    progress: Callable[[str], None] = field(default=_ignore_progress)
    signal_index: object = None

    def signal(self, signal_id: str) -> Signal | None:
        """The signal with this id, or None."""
        for candidate in self.signals:
            if candidate.id == signal_id:
                return candidate
        return None


class BaseAgent(ABC):
    """A specialist that turns signals into hypotheses.

    Subclasses set `name` (unique within a runtime) and implement `run`; they may set
    `timeout` (seconds) to override the runtime's default, and `model` for the LLM they would
    use by default.

    Args:
        llm: The LLM client the agent may reason with; None keeps it deterministic.
    """

    name: str = ""
    timeout: float | None = None
    model: str | None = None

    def __init__(self, llm: LLMClient | None = None) -> None:
        self.llm = llm

    @abstractmethod
    async def run(self, context: AgentContext) -> AgentResult:
        """Analyse the context and return hypotheses citing signal ids."""

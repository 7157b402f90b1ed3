"""What agents return (`AgentResult`) and what a run returns (`ExecutionResult`).

Every output model forbids unknown keys, so a misspelt field fails at construction instead of
vanishing. `ExecutionResult` serialises to the JSON printed by `alpha investigate --json`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alpha.schemas.hypothesis import Hypothesis, RankedHypothesis
from alpha.schemas.signal import Signal

__all__ = [
    "AgentOutcome",
    "AgentResult",
    "AgentStatus",
    "ExecutionResult",
    "Rejection",
    "Synthesis",
    "TokenUsage",
]


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenUsage(_Output):
    """Tokens (and cost, when the provider reports it) spent on LLM calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: TokenUsage) -> TokenUsage:
        """Return the sum of two usages (cost stays None only if both are None)."""
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
            calls=self.calls + other.calls,
        )


class AgentResult(_Output):
    """What one agent returns.

    `execution_time_ms` is filled in by the executor (whatever the agent put there).
    """

    agent_name: str
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    execution_time_ms: float = 0.0
    signals_used: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # Set when the agent meant to use an LLM but fell back to its deterministic analysis.
    fallback_reason: str | None = None
    usage: TokenUsage | None = None
    model: str | None = None


class AgentStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


class AgentOutcome(_Output):
    """How one agent's run ended (also for agents that failed or timed out)."""

    agent_name: str
    status: AgentStatus
    execution_time_ms: float
    reason: str | None = None
    hypotheses_produced: int = 0
    hypotheses_accepted: int = 0
    fallback_reason: str | None = None
    usage: TokenUsage | None = None
    model: str | None = None


class Rejection(_Output):
    """A hypothesis (or a whole result) that the judge refused, with the reason."""

    agent_name: str
    label: str | None = None
    reason: str


class Synthesis(_Output):
    """Optional post-aggregation output: a summary and concrete next actions."""

    summary: str = ""
    next_actions: list[str] = Field(default_factory=list)
    agent_name: str | None = None
    fallback_reason: str | None = None
    usage: TokenUsage | None = None


class ExecutionResult(_Output):
    """The outcome of one investigation.

    `ranked_hypotheses` are the aggregated hypotheses, best first; `signals_used` every signal
    the run extracted (what the hypotheses may cite).
    """

    execution_id: str
    deployment_id: str
    ranked_hypotheses: list[RankedHypothesis] = Field(default_factory=list)
    signals_used: list[Signal] = Field(default_factory=list)
    requires_human_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)
    agent_results: list[AgentResult] = Field(default_factory=list)
    agent_outcomes: list[AgentOutcome] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    summary: str = ""
    next_actions: list[str] = Field(default_factory=list)
    # Sources or steps that were unavailable (e.g. "Sentry unreachable: HTTP 503 after 3 tries").
    gaps: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    execution_time_ms: float = 0.0
    started_at: datetime | None = None

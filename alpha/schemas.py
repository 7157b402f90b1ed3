"""Typed schemas that cross the runtime's boundaries.

Inputs (`IncidentInput`) forbid unknown keys so that typos fail loudly; outputs are plain
Pydantic models that serialise to the JSON printed by `alpha investigate --json`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alpha.taxonomy import UNKNOWN_CATEGORY

Severity = Literal["low", "medium", "high"]
# The severities from the lowest to the highest.
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

JsonScalar = str | int | float | bool | None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- incident payload


class CommitFile(_Input):
    """One file touched by a commit (the object form of `recent_commits[].files[]`)."""

    filename: str = Field(min_length=1)
    status: str | None = None
    additions: int | None = Field(default=None, ge=0)
    deletions: int | None = Field(default=None, ge=0)
    patch: str | None = None


class Commit(_Input):
    """A recent commit, as in `shared/spec/incident-payload.md`."""

    sha: str = Field(pattern=r"^[0-9a-fA-F]{7,64}$")
    message: str
    author: str | None = None
    timestamp: datetime | None = None
    files: list[CommitFile | str] = Field(default_factory=list)

    def file_objects(self) -> list[CommitFile]:
        """The files as objects, bare filenames promoted to `CommitFile`."""
        return [f if isinstance(f, CommitFile) else CommitFile(filename=f) for f in self.files]


class MetricWindows(_Input):
    """Explicit windows before and after the deployment."""

    baseline: float | list[float] | None = None
    current: float | list[float]
    unit: str | None = None


class MetricPoints(_Input):
    """A timestamped series; `deployed_at` splits it into baseline and current."""

    points: list[tuple[datetime, float]]
    unit: str | None = None


MetricValue = float | list[float] | MetricWindows | MetricPoints


class IncidentInput(_Input):
    """The incident payload (contract version 1). Unknown keys are rejected."""

    deployment_id: str = Field(min_length=1)
    logs: list[str]
    metrics: dict[str, MetricValue]
    recent_commits: list[Commit]
    config_snapshot: dict[str, Any]

    service: str | None = None
    environment: str | None = None
    deployed_at: datetime | None = None
    incident_started_at: datetime | None = None
    previous_config_snapshot: dict[str, Any] | None = None

    @field_validator("deployment_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("deployment_id must not be blank")
        return value


# --------------------------------------------------------------------------- evidence


class Signal(BaseModel):
    """A deterministic fact extracted from the incident, cited by hypotheses by `id`."""

    id: str = Field(min_length=1)
    type: str
    description: str
    value: Any = None
    severity: Severity = "medium"
    source: str


class Hypothesis(BaseModel):
    """A candidate root cause produced by one agent."""

    label: str = Field(min_length=1)
    description: str = ""
    confidence: float
    severity: str = "medium"
    supporting_signals: list[str] = Field(default_factory=list)
    category: str = UNKNOWN_CATEGORY
    suspects: list[str] = Field(default_factory=list)


class RankedHypothesis(Hypothesis):
    """A hypothesis after aggregation: merged across agents and scored.

    `score` is the highest confidence among the merged hypotheses plus an agreement bonus
    per additional distinct agent (see `alpha.aggregator`), capped at 1.0.
    """

    score: float
    rank: int = 0
    contributing_agents: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- agent results


class TokenUsage(BaseModel):
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


class AgentResult(BaseModel):
    """What one agent returns."""

    agent_name: str
    hypotheses: list[Hypothesis] = Field(default_factory=list)
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


class AgentOutcome(BaseModel):
    """How one agent's run ended."""

    agent_name: str
    status: AgentStatus
    elapsed_ms: float
    reason: str | None = None
    hypotheses_produced: int = 0
    hypotheses_accepted: int = 0
    fallback_reason: str | None = None
    usage: TokenUsage | None = None
    model: str | None = None


class Rejection(BaseModel):
    """A hypothesis (or a whole result) that the judge refused, with the reason."""

    agent_name: str
    label: str | None = None
    reason: str


class Synthesis(BaseModel):
    """Optional post-aggregation output: a summary and concrete next actions."""

    summary: str = ""
    next_actions: list[str] = Field(default_factory=list)
    agent_name: str | None = None
    fallback_reason: str | None = None
    usage: TokenUsage | None = None


class ExecutionResult(BaseModel):
    """The outcome of one investigation."""

    execution_id: str
    deployment_id: str
    hypotheses: list[RankedHypothesis] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)
    agent_results: list[AgentResult] = Field(default_factory=list)
    agent_outcomes: list[AgentOutcome] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)
    requires_human_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)
    summary: str = ""
    next_actions: list[str] = Field(default_factory=list)
    # Sources or steps that were unavailable (e.g. "Sentry unreachable: HTTP 503 after 3 tries").
    gaps: list[str] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    elapsed_ms: float = 0.0
    started_at: datetime | None = None

    @property
    def execution_time(self) -> float:
        """Wall time of the run in seconds."""
        return self.elapsed_ms / 1000.0


# --------------------------------------------------------------------------- events


class EventKind(StrEnum):
    RUN_STARTED = "run_started"
    AGENT_STARTED = "agent_started"
    AGENT_PROGRESS = "agent_progress"
    SIGNAL_DETECTED = "signal_detected"
    HYPOTHESIS_PRODUCED = "hypothesis_produced"
    AGENT_COMPLETED = "agent_completed"
    AGENT_FAILED = "agent_failed"
    AGENT_TIMED_OUT = "agent_timed_out"
    RUN_COMPLETED = "run_completed"


class AgentEvent(BaseModel):
    """A runtime event delivered to subscribers (display, Slack publisher, logs).

    `agent_name` is None for run-level events. `elapsed_ms` counts from the run's start.
    Payload by kind: SIGNAL_DETECTED -> `signal`; HYPOTHESIS_PRODUCED -> `hypothesis`;
    AGENT_COMPLETED/FAILED/TIMED_OUT -> `outcome`; RUN_COMPLETED -> `result`;
    AGENT_PROGRESS -> `message`.
    """

    kind: EventKind
    execution_id: str
    agent_name: str | None = None
    elapsed_ms: float = 0.0
    message: str | None = None
    signal: Signal | None = None
    hypothesis: Hypothesis | None = None
    outcome: AgentOutcome | None = None
    result: ExecutionResult | None = None

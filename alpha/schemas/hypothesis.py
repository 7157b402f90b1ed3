"""`Hypothesis` (one agent's candidate root cause) and `RankedHypothesis` (after aggregation)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["UNKNOWN_CATEGORY", "Hypothesis", "RankedHypothesis"]

# The category of a hypothesis that names none. A vertical injects its own taxonomy into the
# judge; the runtime only knows that "unknown" means "no category".
UNKNOWN_CATEGORY = "unknown"


class Hypothesis(BaseModel):
    """A candidate root cause produced by one agent.

    `contributing_agent` is the agent that produced it; the runtime fills it in when the
    agent leaves it empty. `category` and `suspects` are the vertical's classification (what
    to fix, and the concrete things to act on). `rules` names the rules that produced it
    (provenance, shown by `--explain`).
    """

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    description: str = ""
    confidence: float
    severity: str = "medium"
    supporting_signals: list[str] = Field(default_factory=list)
    contributing_agent: str = ""
    category: str = UNKNOWN_CATEGORY
    suspects: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)


class RankedHypothesis(Hypothesis):
    """A hypothesis after aggregation: merged across agents and scored.

    `score` is the highest confidence among the merged hypotheses plus an agreement bonus
    per additional distinct agent (see `alpha.aggregation.aggregator`), capped at 1.0.
    `contributing_agent` is the agent of the group's most confident member;
    `contributing_agents` lists every agent of the group.
    """

    score: float
    rank: int = 0
    contributing_agents: list[str] = Field(default_factory=list)

"""The JSON answer an agent's model must return, validated before the judge sees it."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alpha.schemas import Hypothesis
from sre.taxonomy import VALID_CATEGORIES

Category = Literal[
    "code_regression",
    "config_change",
    "dependency_failure",
    "database",
    "resource_exhaustion",
    "traffic_surge",
    "certificate_or_credentials",
    "infrastructure",
    "unknown",
]
# The literal repeats the taxonomy so the JSON schema lists the ids; keep them in step.
if set(Category.__args__) != VALID_CATEGORIES:  # type: ignore[attr-defined]
    raise RuntimeError("sre.llm.answer.Category is out of step with sre.taxonomy")

# More than the agents' own candidates (4) so the model can add, not only re-rank.
MAX_ANSWER_HYPOTHESES = 6


class LLMHypothesis(BaseModel):
    """One hypothesis as the model must write it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1_000)
    category: Category
    suspects: list[str] = Field(default_factory=list, max_length=10)
    confidence: float = Field(ge=0.0, le=1.0)
    severity: Literal["low", "medium", "high"]
    supporting_signals: list[str] = Field(min_length=1, max_length=20)

    def to_hypothesis(self) -> Hypothesis:
        """As a runtime `Hypothesis`."""
        return Hypothesis(**self.model_dump())


class LLMAnswer(BaseModel):
    """The whole answer: hypotheses, best first."""

    model_config = ConfigDict(extra="forbid")

    hypotheses: list[LLMHypothesis] = Field(max_length=MAX_ANSWER_HYPOTHESES)


def _strip_titles(node: Any) -> Any:
    """The schema without `title`/`description` annotations (tokens the model needs not)."""
    if isinstance(node, dict):
        return {
            key: _strip_titles(value)
            for key, value in node.items()
            if key not in ("title", "description") or not isinstance(value, str)
        }
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    return node


@cache
def answer_schema_text() -> str:
    """The JSON schema of `LLMAnswer`, compact, for the system prompt."""
    return json.dumps(_strip_titles(LLMAnswer.model_json_schema()), separators=(",", ":"))

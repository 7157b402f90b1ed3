"""The judge: deterministic checks that every hypothesis is backed by known evidence.

An agent's output is never trusted as such (it may come from an LLM). Before aggregation,
`JudgeLayer.validate` checks:

For the result as a whole
    1. the agent name is present and equals the name of the agent that ran.

For each hypothesis
    2. it cites at least one signal;
    3. every cited signal exists in the run's memory;
    4. its confidence is a number in [0, 1] (NaN is refused);
    5. its severity is one of low, medium, high;
    6. its `contributing_agent`, when set, is the agent that ran;
    7. its category is one the vertical declared (when it declared any: the runtime knows
       no taxonomy; the SRE vertical injects its own).

A result failing check 1 is refused whole. Otherwise the hypotheses failing any check are
dropped, each recorded as a `Rejection` naming every check it failed, and the others are
kept. The judge is pure: no clock, no I/O, and its output depends only on its input order.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from alpha.schemas import SEVERITIES, AgentResult, Hypothesis, Rejection

__all__ = ["VALID_SEVERITIES", "JudgeLayer", "JudgedResult"]

VALID_SEVERITIES: frozenset[str] = frozenset(SEVERITIES)

# How many unknown signal ids a rejection reason quotes before summarising the rest.
_MAX_QUOTED_IDS = 5


@dataclass(frozen=True)
class JudgedResult:
    """The judge's verdict on one agent result.

    Attributes:
        valid: False when the result was refused whole, or when it had hypotheses and none
            survived; True otherwise (a result with no hypotheses is valid, just empty).
        result: The agent's result holding only the hypotheses that passed.
        rejection_reason: Why the result is invalid (None when valid).
        rejections: One entry per refused hypothesis (or one for a result refused whole).
    """

    valid: bool
    result: AgentResult
    rejection_reason: str | None = None
    rejections: list[Rejection] = field(default_factory=list)


class JudgeLayer:
    """Validates agent results against the signals in memory.

    Args:
        valid_categories: Category ids a hypothesis may name; None accepts any category.
        valid_severities: Severities a hypothesis may carry.
    """

    def __init__(
        self,
        *,
        valid_categories: Iterable[str] | None = None,
        valid_severities: Iterable[str] = VALID_SEVERITIES,
    ) -> None:
        self._categories = None if valid_categories is None else frozenset(valid_categories)
        self._severities = frozenset(valid_severities)

    def validate(
        self,
        result: AgentResult,
        memory: Container[str],
        agent_name: str | None = None,
    ) -> JudgedResult:
        """Judge one agent result.

        Args:
            result: What the agent returned.
            memory: The run's memory (`StructuredMemory`), or any container of signal ids.
            agent_name: The agent that actually ran; when given, the result must carry it.

        Returns:
            The verdict, with the surviving hypotheses and every rejection.
        """
        whole = self._check_name(result, agent_name)
        owner = agent_name or result.agent_name.strip() or "<unnamed agent>"
        if whole is not None:
            return JudgedResult(
                valid=False,
                result=result.model_copy(update={"hypotheses": []}),
                rejection_reason=whole,
                rejections=[Rejection(agent_name=owner, label=None, reason=whole)],
            )
        kept: list[Hypothesis] = []
        rejections: list[Rejection] = []
        for hypothesis in result.hypotheses:
            problems = self.check_hypothesis(hypothesis, memory, agent_name=owner)
            if problems:
                rejections.append(
                    Rejection(agent_name=owner, label=hypothesis.label, reason="; ".join(problems))
                )
            else:
                kept.append(hypothesis)
        reason: str | None = None
        if result.hypotheses and not kept:
            reason = f"all {len(result.hypotheses)} hypotheses were rejected"
        return JudgedResult(
            valid=reason is None,
            result=result.model_copy(update={"hypotheses": kept}),
            rejection_reason=reason,
            rejections=rejections,
        )

    def check_hypothesis(
        self, hypothesis: Hypothesis, memory: Container[str], *, agent_name: str | None = None
    ) -> list[str]:
        """Every check one hypothesis fails, as human-readable reasons (empty when it passes).

        Args:
            hypothesis: The hypothesis to check.
            memory: The run's memory, or any container of signal ids.
            agent_name: The agent that produced it; when given, a set `contributing_agent`
                must name it.
        """
        problems: list[str] = []
        claimed = hypothesis.contributing_agent
        if agent_name is not None and claimed and claimed != agent_name:
            problems.append(f"contributing_agent {claimed!r} is not the agent that ran")
        if not hypothesis.supporting_signals:
            problems.append("cites no signal")
        else:
            unknown = [sid for sid in hypothesis.supporting_signals if sid not in memory]
            if unknown:
                problems.append(_unknown_ids(unknown))
        confidence = hypothesis.confidence
        if math.isnan(confidence) or not 0.0 <= confidence <= 1.0:
            problems.append(f"confidence {confidence!r} is outside [0, 1]")
        if hypothesis.severity not in self._severities:
            allowed = ", ".join(sorted(self._severities))
            problems.append(f"severity {hypothesis.severity!r} is not one of {allowed}")
        if self._categories is not None and hypothesis.category not in self._categories:
            problems.append(f"category {hypothesis.category!r} is not a taxonomy id")
        return problems

    @staticmethod
    def _check_name(result: AgentResult, agent_name: str | None) -> str | None:
        if not result.agent_name.strip():
            return "agent name is missing"
        if agent_name is not None and result.agent_name != agent_name:
            return (
                f"agent name {result.agent_name!r} does not match the agent that ran "
                f"({agent_name!r})"
            )
        return None


def _unknown_ids(unknown: list[str]) -> str:
    quoted = ", ".join(repr(sid) for sid in unknown[:_MAX_QUOTED_IDS])
    more = len(unknown) - _MAX_QUOTED_IDS
    suffix = f" and {more} more" if more > 0 else ""
    return f"cites unknown signal(s) {quoted}{suffix}"

"""The verdict of an investigation: what broke, how sure, the one action to take now.

Both surfaces open with it (the terminal report, `sre.report`, and the Slack message,
`bot.blocks`), followed by what is missing next to it: sources that failed or were not
configured, agents that failed, and the LLM fallbacks collapsed into one line. Pure: built
from an `ExecutionResult` that has already passed the redaction boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alpha.schemas import AgentOutcome, AgentStatus, ExecutionResult, RankedHypothesis

_NAMES_SHOWN = 4


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 signal`, `2 signals` (`plural_form` for irregular words)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def category_text(category: str) -> str:
    """`config change` for `config_change`."""
    return category.replace("_", " ")


def ties(result: ExecutionResult) -> list[RankedHypothesis]:
    """The ranked causes that share the top score as shown (two decimals); one when no tie."""
    ranked = result.ranked_hypotheses
    if not ranked:
        return []
    top = round(ranked[0].score, 2)
    return [h for h in ranked if round(h.score, 2) == top]


def strength(score: float) -> str:
    """How sure a score makes us, in words."""
    if score >= 0.8:
        return "high confidence"
    return "moderate confidence" if score >= 0.5 else "low confidence"


@dataclass(frozen=True)
class Verdict:
    """The three lines a responder reads first, and what is missing beside them.

    Attributes:
        what_broke: the top cause and its category.
        how_sure: confidence in words, the score, who agrees, a review request; for a tie,
            which causes share the score (the actions cover them).
        action: the one action to take now.
        gaps: missing sources, failed agents and the LLM fallbacks (one line for all).
        tie: the top causes share their score.
        review: a human must review the result.
    """

    what_broke: str
    how_sure: str
    action: str
    gaps: list[str] = field(default_factory=list)
    tie: bool = False
    review: bool = False

    def lines(self) -> list[tuple[str, str]]:
        """`(label, text)` pairs in reading order: the three lines, then the gaps."""
        rows = [
            ("What broke", self.what_broke),
            ("How sure", self.how_sure),
            ("Do now", self.action),
        ]
        rows.extend(("Missing", gap) for gap in self.gaps)
        return rows


def verdict(result: ExecutionResult) -> Verdict:
    """The verdict of a finished investigation."""
    ranked = result.ranked_hypotheses
    gaps = missing(result)
    action = result.next_actions[0] if result.next_actions else "Investigate manually"
    if not ranked:
        rejected = len(result.rejections)
        why = (
            f"{plural(rejected, 'hypothesis', 'hypotheses')} rejected by the evidence check"
            if rejected
            else "no rule found evidence strong enough to name a cause"
        )
        return Verdict(
            what_broke="No cause stood out",
            how_sure=f"needs human review: {why}",
            action=action,
            gaps=gaps,
            review=True,
        )
    top = ranked[0]
    tied = ties(result)
    what = f"{top.label} ({category_text(top.category)})"
    if len(tied) > 1:
        others = ", ".join(f"#{h.rank}" for h in tied[1:])
        runner = tied[1]
        sure = (
            f"tie at {top.score:.2f} with {others}, both acted on: {runner.label} "
            f"({category_text(runner.category)})"
        )
    else:
        sure = f"{strength(top.score)}: score {top.score:.2f}, {_agreement(top)}"
        if len(ranked) > 1:
            sure += f"; next {ranked[1].score:.2f}"
    if result.requires_human_review:
        sure += "; needs human review: " + "; ".join(result.review_reasons)
    return Verdict(
        what_broke=what,
        how_sure=sure,
        action=action,
        gaps=gaps,
        tie=len(tied) > 1,
        review=result.requires_human_review,
    )


def _agreement(top: RankedHypothesis) -> str:
    agents = top.contributing_agents
    if len(agents) >= 2:
        return f"{len(agents)} agents agree"
    return f"only {agents[0]}" if agents else "no agent named"


def missing(result: ExecutionResult) -> list[str]:
    """What the verdict stands without: gaps, failed agents, the LLM fallbacks (one line)."""
    lines = list(dict.fromkeys(result.gaps))
    for outcome in result.agent_outcomes:
        if outcome.status is not AgentStatus.OK:
            status = outcome.status.value.replace("_", " ")
            reason = f": {outcome.reason}" if outcome.reason else ""
            lines.append(f"{outcome.agent_name} {status}{reason}")
    fallback = fallback_line(result.agent_outcomes)
    if fallback is not None:
        lines.append(fallback)
    return lines


def fallback_line(outcomes: list[AgentOutcome]) -> str | None:
    """Every LLM fallback in one line: which agents, and why (grouped by reason).

    Reasons differing only by the agent's model name are one reason:
    `LLM not used, rules instead for 4 agents (LogAgent, ...): no answer within 45 s`.
    """
    fell = [o for o in outcomes if o.fallback_reason]
    if not fell:
        return None
    reasons: dict[str, list[str]] = {}
    for outcome in fell:
        reasons.setdefault(_generic(outcome), []).append(outcome.agent_name)
    names = [o.agent_name for o in fell]
    shown = ", ".join(names[:_NAMES_SHOWN]) + (
        f" +{len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
    )
    if len(reasons) == 1:
        why = next(iter(reasons))
    else:
        why = "; ".join(f"{reason} ({len(agents)})" for reason, agents in reasons.items())
    who = plural(len(names), "agent")
    return f"LLM not used, rules instead for {who} ({shown}): {why}"


_DETERMINISTIC = re.compile(r";\s*deterministic analysis used\s*$")


def _generic(outcome: AgentOutcome) -> str:
    """The fallback reason without the agent's own model name and the common suffix, so
    that agents on different models failing the same way give one reason."""
    reason = _DETERMINISTIC.sub("", outcome.fallback_reason or "")
    model = outcome.model
    if model:
        for form in (f" for {model}", f" {model!r}", f" {model}:", f" {model}"):
            reason = reason.replace(form, "" if form.endswith(model) or "'" in form else ":")
    return " ".join(reason.split())

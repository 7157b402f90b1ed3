"""`alpha investigate --explain`: why each ranked hypothesis is where it is.

For every ranked hypothesis: the rules that produced it (each agent's rule functions,
`llm.refine` for a model's restatement), the agents that agreed and how the score came from
the best confidence plus the agreement bonus, and every signal it cites with what that
signal says. Plain text lines, so the CLI prints them as they are and tests read them.
"""

from __future__ import annotations

from alpha.schemas import ExecutionResult, RankedHypothesis

__all__ = ["explain_lines"]


def explain_lines(result: ExecutionResult) -> list[str]:
    """The explanation of a result, one line per item (empty result: one line saying so)."""
    if not result.ranked_hypotheses:
        return ["No hypothesis was ranked: no rule found evidence strong enough."]
    by_id: dict[str, object] = {s.id: s for s in result.signals_used}
    lines: list[str] = []
    for item in result.ranked_hypotheses:
        lines += _explain(item, by_id)
    return lines


def _explain(item: RankedHypothesis, by_id: dict[str, object]) -> list[str]:
    agents = item.contributing_agents or [item.contributing_agent]
    bonus = item.score - item.confidence
    scoring = f"confidence {item.confidence:.2f}"
    if len(agents) > 1:
        scoring += f" + {bonus:.2f} agreement of {len(agents)} agents"
    lines = [
        f"#{item.rank} {item.label}",
        f"  category {item.category}; score {item.score:.2f} = {scoring}",
        f"  agents: {', '.join(agents)}",
        f"  rules: {', '.join(item.rules) or 'none recorded'}",
        "  evidence:",
    ]
    for signal_id in item.supporting_signals:
        signal = by_id.get(signal_id)
        text = getattr(signal, "description", "(not in this result)")
        kind = getattr(signal, "type", "?")
        lines.append(f"    {signal_id} [{kind}] {text}")
    return lines

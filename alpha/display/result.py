"""Rendering of a finished investigation: the ranked hypotheses and what backs them.

Two pure builders over an `ExecutionResult`: `result_view` (Rich renderables for a
terminal) and `plain_result_lines` (text for pipes, logs and tests). Data is wrapped in
`rich.text.Text`, never parsed as markup, and control characters are removed from it:
an ESC byte in a log line would otherwise reach the terminal as an escape sequence.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alpha.schemas import AgentStatus, ExecutionResult, RankedHypothesis, Signal

_EVIDENCE_LIMIT = 100
# Hundreds of agents may agree on one hypothesis; a cell lists a few and counts the rest.
_NAMES_SHOWN = 4
_PROBLEMS_SHOWN = 5
_EVIDENCE_SHOWN = 8
_CITED_SHOWN = 12


# C0 and C1 control characters except newline: none has a place in a rendered report.
_CONTROL = dict.fromkeys(c for c in [*range(0x20), *range(0x7F, 0xA0)] if c != 0x0A)


def strip_control(text: str) -> str:
    """`text` without control characters (newlines kept)."""
    return text.translate(_CONTROL)


def _names(names: list[str], limit: int = _NAMES_SHOWN) -> str:
    """`a, b, c, d +12 more` (or `-` when empty)."""
    if not names:
        return "-"
    shown = strip_control(", ".join(names[:limit]))
    return shown if len(names) <= limit else f"{shown} +{len(names) - limit} more"


def _cited_signals(result: ExecutionResult) -> list[Signal]:
    """Signals cited by the ranked hypotheses, in order of first citation."""
    by_id = {signal.id: signal for signal in result.signals_used}
    seen: dict[str, Signal] = {}
    for hypothesis in result.ranked_hypotheses:
        for signal_id in hypothesis.supporting_signals:
            if signal_id in by_id and signal_id not in seen:
                seen[signal_id] = by_id[signal_id]
    return list(seen.values())


def one_line(text: str, limit: int = _EVIDENCE_LIMIT) -> str:
    """`text` on one line, without control characters, clipped to `limit` characters.

    A multi-line log message would break a panel or a table cell, and an ESC byte from a log
    line would reach the terminal as an escape sequence.
    """
    text = strip_control(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nothing_ranked(result: ExecutionResult) -> str:
    """Why a run ranked nothing: the judge refused what was proposed, or nothing was."""
    rejected = len(result.rejections)
    if rejected:
        noun = "hypothesis" if rejected == 1 else "hypotheses"
        return f"No hypothesis survived the judge ({rejected} {noun} rejected)."
    return "No hypothesis was proposed: no agent found evidence strong enough to name a cause."


def _agents_line(result: ExecutionResult) -> str:
    outcomes = result.agent_outcomes
    ok = sum(1 for o in outcomes if o.status == AgentStatus.OK)
    line = f"{len(outcomes)} agents: {ok} ok"
    problems = [o for o in outcomes if o.status != AgentStatus.OK]
    for outcome in problems[:_PROBLEMS_SHOWN]:
        reason = one_line(outcome.reason or "no reason given")
        line += f", {outcome.agent_name} {outcome.status.value.replace('_', ' ')} ({reason})"
    if len(problems) > _PROBLEMS_SHOWN:
        line += f", {len(problems) - _PROBLEMS_SHOWN} more not ok"
    fallbacks = [o.agent_name for o in outcomes if o.fallback_reason]
    if fallbacks:
        line += f"; deterministic fallback: {_names(fallbacks)}"
    return line


def _footer_lines(result: ExecutionResult) -> list[str]:
    lines = [_agents_line(result)]
    if result.rejections:
        rejected = len(result.rejections)
        lines.append(
            f"{rejected} {'hypothesis' if rejected == 1 else 'hypotheses'} rejected by the judge"
        )
    for gap in result.gaps:
        lines.append(f"gap: {gap}")
    usage = result.usage
    if usage.calls or usage.total_tokens:
        cost = "" if usage.cost_usd is None else f", ${usage.cost_usd:.4f}"
        calls = f"{usage.calls} call{'' if usage.calls == 1 else 's'}"
        lines.append(
            f"LLM: {calls}, {usage.prompt_tokens:,} in / "
            f"{usage.completion_tokens:,} out tokens{cost}"
        )
    lines.append(f"{len(result.signals_used)} signals, {result.execution_time_ms / 1000:.2f}s")
    return lines


# ---------------------------------------------------------------------- terminal


def _hypothesis_cell(hypothesis: RankedHypothesis) -> Text:
    cell = Text(strip_control(hypothesis.label), style="bold")
    cell.append(f"\n{strip_control(hypothesis.category)}", style="cyan")
    return cell


def hypotheses_table(result: ExecutionResult) -> Table:
    """The ranked table: rank, label and category, score, confidence, suspects, evidence."""
    table = Table(title="Ranked hypotheses", title_justify="left", expand=True, show_lines=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Hypothesis", ratio=4)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Conf.", justify="right", no_wrap=True)
    table.add_column("Suspects", ratio=3, overflow="fold")
    table.add_column("Evidence", ratio=2, overflow="fold")
    table.add_column("Agents", ratio=3, overflow="fold")
    for hypothesis in result.ranked_hypotheses:
        table.add_row(
            Text(str(hypothesis.rank)),
            _hypothesis_cell(hypothesis),
            Text(f"{hypothesis.score:.2f}"),
            Text(f"{hypothesis.confidence:.2f}"),
            Text(_names(hypothesis.suspects)),
            Text(_names(hypothesis.supporting_signals, _EVIDENCE_SHOWN)),
            Text(_names(hypothesis.contributing_agents)),
        )
    return table


def result_view(result: ExecutionResult) -> RenderableType:
    """Everything worth showing about a finished run, as Rich renderables."""
    parts: list[RenderableType] = []
    if result.requires_human_review:
        banner = Text("HUMAN REVIEW REQUIRED", style="bold red")
        for reason in result.review_reasons:
            banner.append(f"\n• {strip_control(reason)}", style="red")
        parts.append(Panel(banner, border_style="red"))
    if result.ranked_hypotheses:
        parts.append(hypotheses_table(result))
    else:
        parts.append(Text(nothing_ranked(result), style="bold yellow"))
    cited = _cited_signals(result)
    if cited:
        evidence = Text("Cited evidence", style="bold")
        for signal in cited[:_CITED_SHOWN]:
            evidence.append(f"\n{strip_control(signal.id)}", style="cyan")
            evidence.append(f"  {one_line(signal.description)}")
        if len(cited) > _CITED_SHOWN:
            evidence.append(f"\n+{len(cited) - _CITED_SHOWN} more signals", style="dim")
        parts.append(evidence)
    if result.summary:
        summary = Text(strip_control(result.summary))
        parts.append(Panel(summary, title="Summary", title_align="left"))
    if result.next_actions:
        actions = Text("Next actions", style="bold")
        for number, action in enumerate(result.next_actions, start=1):
            actions.append(f"\n{number}. {strip_control(action)}")
        parts.append(actions)
    parts.append(Text(strip_control("\n".join(_footer_lines(result))), style="dim"))
    return Group(*parts)


# ---------------------------------------------------------------------- plain text


def plain_result_lines(result: ExecutionResult) -> list[str]:
    """The same content as `result_view`, as plain lines (no ANSI, no box drawing)."""
    lines = [f"Investigation {result.execution_id} ({result.deployment_id})"]
    if result.requires_human_review:
        lines.append("HUMAN REVIEW REQUIRED")
        lines.extend(f"  - {reason}" for reason in result.review_reasons)
    if not result.ranked_hypotheses:
        lines.append(nothing_ranked(result))
    for h in result.ranked_hypotheses:
        lines.append(
            f"{h.rank}. {h.label} [{h.category}] score {h.score:.2f}, confidence {h.confidence:.2f}"
        )
        lines.append(f"   suspects: {_names(h.suspects)}")
        lines.append(f"   evidence: {_names(h.supporting_signals, _EVIDENCE_SHOWN)}")
        lines.append(f"   agents: {_names(h.contributing_agents)}")
    cited = _cited_signals(result)
    if cited:
        lines.append("Cited evidence:")
        lines.extend(f"  {s.id}  {one_line(s.description)}" for s in cited[:_CITED_SHOWN])
        if len(cited) > _CITED_SHOWN:
            lines.append(f"  +{len(cited) - _CITED_SHOWN} more signals")
    if result.summary:
        lines.append(f"Summary: {result.summary}")
    if result.next_actions:
        lines.append("Next actions:")
        lines.extend(f"  {n}. {a}" for n, a in enumerate(result.next_actions, start=1))
    lines.extend(_footer_lines(result))
    return [strip_control(line) for line in lines]

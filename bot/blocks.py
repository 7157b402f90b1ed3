"""Block Kit rendering: pure functions from investigation state to Slack messages.

The final message reads like the terminal report (`sre.report`): the verdict first (what
broke, how sure, the one action to take now), what is missing right under it, then the
ranked causes with their evidence (ties marked), the next actions, links and the summary.
SHAs and Sentry short ids that the sources gave a URL for become links
(`sre.references`: only plain http(s) URLs are kept, so a link cannot break out).

Every message has a text fallback. Every string that came from a payload, an upstream
service or a model goes through `escape`, so `<!channel>`, `<@U123>` and
`<https://evil|https://sentry.io>` arrive as inert text. Slack's limits are enforced by
`enforce_limits` with a visible truncation marker rather than letting Slack refuse the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alpha.display.result import nothing_ranked
from alpha.schemas import ExecutionResult, RankedHypothesis, Signal, TokenUsage
from bot.progress import AgentView, RunView, SourceView
from sre.redaction import one_line
from sre.redaction.boundary import count_redacted, redacted_line
from sre.references import References
from sre.report import commit_text, issue_text, named_commits
from sre.verdict import ties, verdict

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_CHARS = 2000
MAX_TEXT_FALLBACK = 3000
# Slack documents 50 blocks x 3,000 characters, but refuses messages well below that
# (`msg_blocks_too_long`), so the renderer keeps a message's total under this budget.
MAX_MESSAGE_CHARS = 11000
TRUNCATED = "… (truncated)"

RERUN_ACTION = "alpha_rerun"
FEEDBACK_ACTION_PREFIX = "alpha_feedback_"

_STATE_ICON = {
    "waiting": ":white_circle: waiting",
    "running": ":hourglass_flowing_sand: running",
    "ok": ":white_check_mark: done",
    "failed": ":x: failed",
    "timed_out": ":alarm_clock: timed out",
}


@dataclass(frozen=True)
class Message:
    """A Slack message: the notification/accessibility text and its blocks."""

    text: str
    blocks: list[Block]


# --------------------------------------------------------------------------- text helpers


def escape(text: object) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn.

    Data is also put on one line, without control or bidirectional characters: a newline
    in a payload field must not start a line of its own in the message.
    """
    flat = one_line(str(text))
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, marker: str = TRUNCATED) -> str:
    """Cut `text` to at most `limit` characters, ending with `marker` when cut.

    The cut never splits an HTML entity produced by `escape` (a dangling `&am` would show).
    """
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(marker))
    head = text[:cut]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and cut - amp <= len("&amp;"):
        head = head[:amp]
    return head + marker


def code(text: object) -> str:
    """Inline code for an untrusted value (escaped; backticks removed so it cannot close)."""
    return "`" + escape(str(text).replace("`", "'")) + "`"


def link(text: str, links: dict[str, str]) -> str:
    """Already escaped mrkdwn with every SHA or Sentry short id in `links` made a link.

    Inline code is left alone (Slack shows a link inside backticks as text).
    """
    if not links:
        return text
    pattern = re.compile(
        r"(?<![\w/|-])("
        + "|".join(re.escape(k) for k in sorted(links, key=len, reverse=True))
        + r")(?![\w-])"
    )
    parts = text.split("`")
    for index in range(0, len(parts), 2):
        parts[index] = pattern.sub(lambda m: f"<{links[m.group(1)]}|{m.group(1)}>", parts[index])
    return "`".join(parts)


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.1f} s"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _header(text: str) -> Block:
    # Plain text is not parsed for mentions, but escaping keeps one rule for all untrusted text.
    return {"type": "header", "text": {"type": "plain_text", "text": escape(text), "emoji": True}}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


# --------------------------------------------------------------------------- limits


def _block_chars(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def _limit_block(block: Block) -> Block:
    kind = block.get("type")
    if kind == "section" and "text" in block:
        text = dict(block["text"], text=truncate(block["text"]["text"], MAX_SECTION_CHARS))
        return dict(block, text=text)
    if kind == "header":
        text = dict(block["text"], text=truncate(block["text"]["text"], MAX_HEADER_CHARS))
        return dict(block, text=text)
    if kind == "context":
        elements = block["elements"][:MAX_CONTEXT_ELEMENTS]
        limited = [
            dict(e, text=truncate(e["text"], MAX_CONTEXT_CHARS)) if "text" in e else e
            for e in elements
        ]
        return dict(block, elements=limited)
    return block


def enforce_limits(blocks: Sequence[Block]) -> list[Block]:
    """Apply Slack's per-block and per-message limits, marking what was cut.

    Blocks past 50, or past the message's character budget, are replaced by one context
    block saying how many were dropped.
    """
    limited = [_limit_block(b) for b in blocks]
    marker_room = 200
    kept: list[Block] = []
    used = 0
    for index, block in enumerate(limited):
        size = _block_chars(block)
        is_last = index == len(limited) - 1
        room_blocks = MAX_BLOCKS if is_last else MAX_BLOCKS - 1
        if len(kept) >= room_blocks or used + size > MAX_MESSAGE_CHARS - marker_room:
            dropped = len(limited) - index
            kept.append(_context(f":scissors: {dropped} more block(s) truncated {TRUNCATED}"))
            return kept
        kept.append(block)
        used += size
    return kept


def text_only(text: str) -> Message:
    """A message reduced to its (already escaped) text in one section: the last resort."""
    return Message(
        text=truncate(text, MAX_TEXT_FALLBACK), blocks=[_section(truncate(text, MAX_SECTION_CHARS))]
    )


def _message(text: str, blocks: list[Block]) -> Message:
    return Message(text=truncate(text, MAX_TEXT_FALLBACK), blocks=enforce_limits(blocks))


# --------------------------------------------------------------------------- progress


def _agent_line(view: AgentView) -> str:
    parts = [f"*{escape(view.name)}*", _STATE_ICON.get(view.state, escape(view.state))]
    if view.elapsed_ms is not None:
        parts.append(_duration(view.elapsed_ms))
    parts.append(f"{len(view.cited_signals)} signal(s) cited")
    parts.append(f"{view.hypotheses} hypothes{'is' if view.hypotheses == 1 else 'es'}")
    line = " · ".join(parts)
    if view.state in ("failed", "timed_out") and view.reason:
        line += f"\n:warning: {escape(view.reason)}"
    elif view.last_message and view.state == "running":
        line += f"\n_{escape(view.last_message)}_"
    if view.fallback_reason:
        line += f"\n:information_source: fell back to rules: {escape(view.fallback_reason)}"
    return line


_PHASE_TEXT = {
    "queued": ":double_vertical_bar: Queued: waiting for a free slot",
    "gathering": ":mag: Gathering data",
    "running": ":gear: Agents running",
    "done": ":white_check_mark: Done",
    "error": ":x: Failed",
}

_SOURCE_STATE = {
    "fetching": ":hourglass_flowing_sand: *{name}* fetching",
    "done": ":white_check_mark: *{name}* done",
    "failed": ":x: *{name}* failed",
}


def _phase_text(view: RunView) -> str:
    """The status line's phase, naming the live sources while they are fetched."""
    text = _PHASE_TEXT[view.phase]
    if view.phase == "gathering" and view.source_names:
        text += " from " + " and ".join(escape(name) for name in view.source_names)
    return text


def _source_line(view: SourceView) -> str:
    """One source: what it is fetching now, or how it ended ("failed" with its gap)."""
    line = _SOURCE_STATE[view.state].format(name=escape(view.name))
    return f"{line} · {escape(view.message)}" if view.message else line


def render_progress(view: RunView) -> Message:
    """The in-progress message: a header, the status, one line per live source (what it is
    fetching, done, or failed with its gap), then one section per agent."""
    blocks: list[Block] = [_header(f"Alpha: investigating {view.title}")]
    phase = _phase_text(view)
    status = [phase]
    if view.phase in ("running", "done"):
        status.append(f"{view.signals} signal(s) found")
        status.append(_duration(view.elapsed_ms))
    if view.execution_id:
        status.append(f"execution {code(view.execution_id)}")
    blocks.append(_context(" · ".join(status)))
    if view.note:
        blocks.append(_section(escape(view.note)))
    if view.sources:
        blocks.append(_section("\n".join(_source_line(s) for s in view.sources.values())))
    if view.phase in ("running", "done"):
        blocks.extend(_section(_agent_line(agent)) for agent in view.agents.values())
    text = f"Alpha: investigating {escape(view.title)}: {phase.split(': ')[-1]}"
    return _message(text, blocks)


# --------------------------------------------------------------------------- final


def _evidence(hypothesis: RankedHypothesis, signals: dict[str, Signal]) -> str:
    words = []
    for signal_id in hypothesis.supporting_signals:
        signal = signals.get(signal_id)
        described = escape(signal.description) if signal else "(unknown signal)"
        words.append(f"• {code(signal_id)} {described}")
    return "\n".join(words) if words else "• (no signal cited)"


def _hypothesis_section(
    hypothesis: RankedHypothesis, signals: dict[str, Signal], links: dict[str, str], tied: bool
) -> Block:
    tie = " · _tie: same score as another cause_" if tied else ""
    lines = [
        link(
            f"*{hypothesis.rank}. {escape(hypothesis.label)}*  {code(hypothesis.category)}", links
        ),
        f"score *{hypothesis.score:.2f}*{tie} · confidence {hypothesis.confidence:.2f} · "
        f"severity {escape(hypothesis.severity)}",
    ]
    if hypothesis.suspects:
        lines.append("Suspects: " + ", ".join(code(s) for s in hypothesis.suspects))
    if hypothesis.description:
        lines.append(escape(hypothesis.description))
    lines.append("Evidence:\n" + link(_evidence(hypothesis, signals), links))
    if hypothesis.contributing_agents:
        lines.append("Agents: " + ", ".join(escape(a) for a in hypothesis.contributing_agents))
    return _section("\n".join(lines))


def feedback_value(execution_id: str, hypothesis: RankedHypothesis, verdict: str) -> str:
    """The button value: which run, which rank, which verdict (no model text in it)."""
    return json.dumps({"x": execution_id[:64], "r": hypothesis.rank, "v": verdict})


def _feedback_block_id(rank: int) -> str:
    """The block id of hypothesis `rank`'s feedback buttons (and of the note replacing them)."""
    return f"alpha_feedback_{rank}"


def hypothesis_heading(blocks: Sequence[Block], rank: int) -> str | None:
    """The first line of hypothesis `rank`'s section in a rendered final message."""
    for index, block in enumerate(blocks):
        if block.get("block_id") == _feedback_block_id(rank) and index > 0:
            text = blocks[index - 1].get("text")
            body = text.get("text") if isinstance(text, dict) else None
            if isinstance(body, str):
                return body.split("\n", 1)[0]
    return None


def _feedback_actions(execution_id: str, hypothesis: RankedHypothesis) -> Block:
    rank = hypothesis.rank
    return {
        "type": "actions",
        "block_id": _feedback_block_id(rank),
        "elements": [
            _button(
                "Correct",
                f"{FEEDBACK_ACTION_PREFIX}correct_{rank}",
                feedback_value(execution_id, hypothesis, "correct"),
                "primary",
            ),
            _button(
                "Wrong",
                f"{FEEDBACK_ACTION_PREFIX}wrong_{rank}",
                feedback_value(execution_id, hypothesis, "wrong"),
            ),
        ],
    }


def _usage_text(usage: TokenUsage) -> str | None:
    if usage.calls == 0 and usage.total_tokens == 0:
        return None
    text = f"{usage.total_tokens:,} tokens in {usage.calls} LLM call(s)"
    if usage.cost_usd is not None:
        text += f" · ${usage.cost_usd:.4f}"
    return text


def degradations(result: ExecutionResult) -> list[str]:
    """What is missing: sources, failed agents, the LLM fallbacks in one line (escaped)."""
    return [f"• {escape(line)}" for line in verdict(result).gaps]


def _verdict_section(result: ExecutionResult, links: dict[str, str]) -> Block:
    found = verdict(result)
    icon = ":rotating_light: " if found.review else ""
    rows = [
        f"*What broke*  {escape(found.what_broke)}",
        f"*How sure*  {icon}{escape(found.how_sure)}",
        f"*Do now*  {escape(found.action)}",
    ]
    return _section(link("\n".join(rows), links))


def _links_context(result: ExecutionResult, refs: References) -> Block | None:
    """Commit authors and pull requests, Sentry issue counts, each linked when known."""
    items = []
    for commit in named_commits(result, refs):
        text = escape(commit_text(commit))
        if commit.pr_number is not None and commit.pr_url:
            text = text.replace(
                f"PR #{commit.pr_number}", f"<{commit.pr_url}|PR #{commit.pr_number}>"
            )
        items.append(
            link(text, refs.links()) if commit.url or commit.pr_url or commit.author else text
        )
    for issue in refs.issues[:3]:
        items.append(link(escape(issue_text(issue)), refs.links()))
    return _context(*items[:MAX_CONTEXT_ELEMENTS]) if items else None


def render_final(
    result: ExecutionResult,
    *,
    title: str,
    rerun_value: str,
    refs: References | None = None,
    note: str | None = None,
) -> Message:
    """The final message: the verdict and what is missing, ranked causes with evidence, next
    actions, links, summary, Rerun and a footer.

    Args:
        refs: links and identity of the commits and Sentry issues (already redacted).
        note: one line under the header (a Rerun says whether it replayed or re-fetched).
    """
    refs = refs or References()
    links = refs.links()
    signals = {s.id: s for s in result.signals_used}
    tied = {h.rank for h in ties(result)} if len(ties(result)) > 1 else set()
    blocks: list[Block] = [_header(f"Alpha: {title}")]
    if note:
        blocks.append(_context(f":repeat: {escape(note)}"))
    blocks.append(_verdict_section(result, links))
    degraded = degradations(result)
    if degraded:
        blocks.append(_section(":warning: *Missing*\n" + "\n".join(degraded)))
    if not result.ranked_hypotheses:
        blocks.append(_section(escape(nothing_ranked(result))))
    for hypothesis in result.ranked_hypotheses:
        blocks.append(_hypothesis_section(hypothesis, signals, links, hypothesis.rank in tied))
        blocks.append(_feedback_actions(result.execution_id, hypothesis))
    if result.next_actions:
        actions = "\n".join(f"{i}. {escape(a)}" for i, a in enumerate(result.next_actions, 1))
        blocks.append(_section(link(f"*Next actions*\n{actions}", links)))
    context = _links_context(result, refs)
    if context is not None:
        blocks.append(context)
    if result.summary:
        blocks.append(_section(link(f"*Summary*\n{escape(result.summary)}", links)))
    blocks.append(
        {
            "type": "actions",
            "block_id": "alpha_run_actions",
            "elements": [_button("Rerun", RERUN_ACTION, rerun_value)],
        }
    )
    footer = [f"execution {code(result.execution_id)}", _duration(result.execution_time_ms)]
    usage = _usage_text(result.usage)
    if usage:
        footer.append(usage)
    footer.append(f"{len(result.signals_used)} signal(s), full list in the thread")
    redacted = redacted_line(count_redacted(result.model_dump_json()))
    if redacted:
        footer.append(redacted)
    blocks.append(_context(" · ".join(footer)))
    return _message(_final_text(result, title), blocks)


def _final_text(result: ExecutionResult, title: str) -> str:
    """The notification text: the verdict in one line."""
    if not result.ranked_hypotheses:
        return f"Alpha: {escape(title)}: {escape(nothing_ranked(result))}"
    found = verdict(result)
    review = " (needs human review)" if found.review else ""
    tie = " (tie)" if found.tie else ""
    return (
        f"Alpha: {escape(title)}: {escape(found.what_broke)}{tie}{review}. "
        f"Do now: {escape(found.action)}"
    )


def render_error(title: str, error: str, gaps: Sequence[str] = ()) -> Message:
    """A run that could not start (unknown deployment, nothing assembled)."""
    blocks = [_header(f"Alpha: {title}"), _section(f":x: {escape(error)}")]
    if gaps:
        blocks.append(_section("*Sources*\n" + "\n".join(f"• {escape(g)}" for g in gaps)))
    return _message(f"Alpha: {escape(title)}: {escape(error)}", blocks)


def render_signals(signals: Sequence[Signal], *, per_message: int = 40) -> list[Message]:
    """The full signal list for the thread, split into messages of `per_message` lines."""
    if not signals:
        return [_message("No signals were extracted.", [_section("No signals were extracted.")])]
    messages = []
    for start in range(0, len(signals), per_message):
        chunk = signals[start : start + per_message]
        lines = [
            f"{code(s.id)} [{escape(s.severity)}] {escape(s.source)}/{escape(s.type)}: "
            f"{escape(s.description)}"
            for s in chunk
        ]
        blocks = [
            _section(truncate("\n".join(lines[i : i + 10]), MAX_SECTION_CHARS))
            for i in range(0, len(lines), 10)
        ]
        end = start + len(chunk)
        text = f"Signals {start + 1}-{end} of {len(signals)}"
        messages.append(_message(text, [_context(text), *blocks]))
    return messages


def acknowledge_feedback(
    blocks: Sequence[Block], rank: int, verdict: str, user_id: str
) -> list[Block]:
    """Replace hypothesis `rank`'s buttons by a note of who judged it and how."""
    icon = ":white_check_mark:" if verdict == "correct" else ":no_entry_sign:"
    note = _context(f"{icon} marked *{escape(verdict)}* by <@{escape(user_id)}>")
    block_id = note["block_id"] = _feedback_block_id(rank)
    return [note if b.get("block_id") == block_id else b for b in blocks]


# Slack reads `<...>` as a link or a mention, even inside backticks: placeholders are
# written as entities so that they show as typed.
USAGE = (
    "*Usage*\n"
    "• `/alpha investigate &lt;deployment_id&gt;`: investigate a deployment; I post the "
    "results in this channel and update them as the agents work.\n"
    "• `/alpha demo`: investigate the bundled demo incident (no Sentry or GitHub needed), "
    "to check that the app is installed and can post here.\n"
    "• `/alpha history [deployment_id]`: recent investigations (only you see the list).\n"
    "• `/alpha help`: this message.\n"
    "The same words work when you mention me (`@Alpha investigate &lt;deployment_id&gt;`) "
    "and in a direct message."
)

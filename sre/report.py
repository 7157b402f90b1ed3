"""The terminal report of an investigation: the verdict first, then the evidence.

    What broke  database.pool_size lowered 50 -> 10 (config change)
    How sure    high confidence: score 1.00, 4 agents agree; next 0.58
    Do now      Restore database.pool_size 10 -> 50 (changed in 5ae6cd2)

then the ranked causes (one line each, ties marked `=`), the evidence of the first, the
next actions, links (commit author and pull request, Sentry issue counts), the summary and
one footer line. On a terminal every line is one row (clipped with `…`) and the report fits
the window: when it is taller, the summary, then evidence, links and ranked causes are cut
(the footer says how to see everything), so the verdict never scrolls away. SHAs and Sentry
short ids become hyperlinks (OSC 8, shown by terminals that support them). Piped, nothing
is cut or clipped and links are printed as URLs. `brief` gives the three lines alone.

Every string is data: lines are `rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.style import Style
from rich.text import Text

from alpha.schemas import ExecutionResult, RankedHypothesis, Signal
from sre.redaction import one_line
from sre.redaction.boundary import count_redacted, redacted_line
from sre.references import CommitRef, IssueRef, References
from sre.verdict import Verdict, category_text, plural, ties, verdict

LABEL_WIDTH = 12
# Evidence lines of the first cause in the terminal report; piped, per cause.
EVIDENCE_SHOWN = 6
LINKS_SHOWN = 4
# Category names that do not fit the ranked list's column.
_SHORT_CATEGORY = {"certificate_or_credentials": "certificate/creds"}
_HEX = re.compile(r"\b[0-9a-f]{7,40}\b")


@dataclass
class Section:
    """Lines of one part of the report and how far they may be cut to fit.

    Attributes:
        lines: the full lines (a header first, when the section has one).
        keep: the fewest lines worth showing (0: the section may go entirely).
    """

    lines: list[Text] = field(default_factory=list)
    keep: int = 0


def _styled(text: str, style: str = "") -> Text:
    return Text(" ".join(one_line(text).split()), style=style)


def verdict_lines(found: Verdict) -> list[Text]:
    """The verdict as labelled lines: what broke, how sure, do now, then what is missing."""
    styles = {"What broke": "bold", "How sure": "", "Do now": "bold green", "Missing": "yellow"}
    if found.review or found.tie:
        styles["How sure"] = "bold yellow"
    lines = []
    for label, text in found.lines():
        line = Text(f"{label:<{LABEL_WIDTH}}", style="dim" if label != "Missing" else "yellow")
        line.append_text(_styled(text, styles[label]))
        lines.append(line)
    return lines


def _rank_line(hypothesis: RankedHypothesis, tied: bool) -> Text:
    line = Text(f"  {hypothesis.rank}  {hypothesis.score:.2f}{' =' if tied else '  '} ")
    line.append(
        f"{_SHORT_CATEGORY.get(hypothesis.category, category_text(hypothesis.category))[:19]:<20}",
        style="cyan",
    )
    line.append_text(_styled(hypothesis.label, "bold" if hypothesis.rank == 1 else ""))
    return line


def _ranked(result: ExecutionResult) -> Section:
    if not result.ranked_hypotheses:
        return Section()
    tied = {h.rank for h in ties(result)} if len(ties(result)) > 1 else set()
    header = Text("Ranked causes", style="bold")
    if tied:
        header.append("  (= same score)", style="dim")
    lines = [header] + [_rank_line(h, h.rank in tied) for h in result.ranked_hypotheses]
    return Section(lines, keep=min(3, len(lines)))


def _evidence(result: ExecutionResult, signals: dict[str, Signal]) -> Section:
    if not result.ranked_hypotheses:
        return Section()
    top = result.ranked_hypotheses[0]
    header = Text("Evidence for #1", style="bold")
    header.append(f"  ({', '.join(top.contributing_agents)})", style="dim")
    lines = [header]
    for signal_id in top.supporting_signals[:EVIDENCE_SHOWN]:
        signal = signals.get(signal_id)
        line = Text(f"  {signal_id} ", style="dim")
        line.append_text(_styled(signal.description if signal else "(not among the signals)"))
        lines.append(line)
    more = len(top.supporting_signals) - EVIDENCE_SHOWN
    if more > 0:
        lines.append(Text(f"  +{plural(more, 'more signal')}", style="dim"))
    return Section(lines, keep=0)


def _actions(result: ExecutionResult) -> Section:
    if not result.next_actions:
        return Section()
    lines = [Text("Next actions", style="bold")]
    lines += [
        Text(f"  {n}. ").append_text(_styled(a)) for n, a in enumerate(result.next_actions, 1)
    ]
    return Section(lines, keep=len(lines))


def named_commits(result: ExecutionResult, refs: References) -> list[CommitRef]:
    """Commits the ranked causes and actions name, in order, when the references know them."""
    texts = [s for h in result.ranked_hypotheses for s in [*h.suspects, h.label]]
    texts += result.next_actions
    found: dict[str, CommitRef] = {}
    for text in texts:
        for sha in _HEX.findall(text.lower()):
            ref = refs.commit(sha)
            if ref is not None:
                found.setdefault(ref.sha, ref)
    return list(found.values())


def commit_text(ref: CommitRef) -> str:
    """`5ae6cd2 by dana, PR #482`."""
    parts = [ref.short]
    if ref.author:
        parts.append(f"by {ref.author}")
    if ref.pr_number is not None:
        parts.append(f"PR #{ref.pr_number}")
    return " ".join(parts[:2]) + (f", {parts[2]}" if len(parts) > 2 else "")


def issue_text(ref: IssueRef) -> str:
    """`CHECKOUT-3F: 1,532 events, 210 users: KeyError 'sku'`."""
    counts = [
        plural(n, w) for n, w in ((ref.events, "event"), (ref.users, "user")) if n is not None
    ]
    text = ref.name + (f": {', '.join(counts)}" if counts else "")
    return text + (f": {ref.title}" if ref.title else "")


def _links(result: ExecutionResult, refs: References, *, urls: bool) -> Section:
    items: list[tuple[str, list[str]]] = []
    for commit in named_commits(result, refs):
        items.append((commit_text(commit), [u for u in (commit.url, commit.pr_url) if u]))
    for issue in refs.issues:
        items.append((issue_text(issue), [issue.url] if issue.url else []))
    shown = [(text, where) for text, where in items if where or "by " in text or "PR #" in text]
    if not shown:
        return Section()
    lines = [Text("Links", style="bold")]
    for text, where in shown[: None if urls else LINKS_SHOWN]:
        line = Text("  ").append_text(_styled(text))
        if urls and where:
            line.append("  " + "  ".join(where), style="dim")
        lines.append(line)
    return Section(lines, keep=0)


def _summary(result: ExecutionResult, width: int | None) -> Section:
    if not result.summary:
        return Section()
    text = one_line(result.summary)
    wrapped = textwrap.wrap(text, width - 2) if width else [text]
    return Section([Text("Summary", style="bold"), *(Text(f"  {w}") for w in wrapped)])


def _footer(result: ExecutionResult, cut: bool) -> Text:
    parts = [plural(len(result.signals_used), "signal"), f"{result.execution_time_ms / 1000:.2f} s"]
    if result.rejections:
        parts.append(f"{plural(len(result.rejections), 'hypothesis', 'hypotheses')} rejected")
    if result.usage.calls:
        parts.append(
            f"{plural(result.usage.calls, 'LLM call')}, {result.usage.total_tokens:,} tokens"
        )
    redacted = redacted_line(count_redacted(result.model_dump_json()))
    if redacted:
        parts.append(redacted)
    parts.append("shortened to fit; every rule and signal: --explain" if cut else "--explain: why")
    return Text(" · ".join(parts), style="dim")


def _fit(sections: Sequence[Section], room: int) -> bool:
    """Cut sections (last listed first, down to each one's `keep`) until they fit `room`.

    Returns whether anything was cut.
    """
    cut = False
    for section in reversed(sections):
        excess = sum(len(s.lines) for s in sections) - room
        if excess <= 0:
            break
        target = max(section.keep, len(section.lines) - excess)
        # A header alone says nothing: drop it with its last line.
        target = 0 if target == 1 and section.keep == 0 else target
        if target < len(section.lines):
            del section.lines[target:]
            cut = True
    return cut


def linkify(line: Text, links: dict[str, str]) -> Text:
    """Hyperlink every SHA or Sentry short id in `line` that `links` has a URL for."""
    plain = line.plain
    for key in sorted(links, key=len, reverse=True):
        for match in re.finditer(rf"(?<![\w-]){re.escape(key)}(?![\w-])", plain):
            line.stylize(Style(link=links[key]), match.start(), match.end())
    return line


def report_lines(
    result: ExecutionResult,
    refs: References | None = None,
    *,
    width: int | None = None,
    height: int | None = None,
    brief: bool = False,
) -> list[Text]:
    """The report as lines; with `height`, cut to fit it (see the module docstring).

    Args:
        result: the finished investigation, already redacted.
        refs: links and identity of its commits and Sentry issues.
        width: the terminal's width (lines are then clipped to it); None when piped.
        height: rows the report may take; None for no limit.
        brief: only the verdict's three lines.
    """
    refs = refs or References()
    found = verdict(result)
    head = verdict_lines(found)
    if brief:
        lines = head[:3]
    else:
        signals = {s.id: s for s in result.signals_used}
        sections = [
            _actions(result),
            _ranked(result),
            _evidence(result, signals),
            _links(result, refs, urls=width is None),
            _summary(result, width),
        ]
        fixed = len(head) + 2  # the verdict, a blank line and the footer
        cut = height is not None and _fit(sections, max(0, height - fixed))
        actions, ranked, evidence, links, summary = (s.lines for s in sections)
        lines = [*head, Text("")] + ranked + evidence + actions + links + summary
        lines.append(_footer(result, cut))
    url_of = refs.links()
    for line in lines:
        linkify(line, url_of)
        if width is not None:
            line.no_wrap, line.overflow = True, "ellipsis"
            line.truncate(width, overflow="ellipsis")
    return lines


def print_report(
    result: ExecutionResult,
    console: Console,
    refs: References | None = None,
    *,
    brief: bool = False,
    reserve: int = 1,
    fit: bool = True,
) -> None:
    """Print the report: fitted to the terminal, or whole when piped.

    Args:
        reserve: rows left free below the report on a terminal (the shell's prompt).
        fit: cut the report to the terminal's height (the verdict stays on screen); False
            prints it whole (lines are still clipped to the width).
    """
    terminal = console.is_terminal
    lines = report_lines(
        result,
        refs,
        width=console.width if terminal else None,
        height=console.height - reserve if terminal and fit else None,
        brief=brief,
    )
    if terminal:
        for line in lines:
            console.print(line, soft_wrap=False, overflow="ellipsis", no_wrap=True, crop=True)
    else:
        console.file.write("\n".join(line.plain for line in lines) + "\n")

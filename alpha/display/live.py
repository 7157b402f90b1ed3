"""The Rich live display: one panel per agent while the run goes, then the ranked table.

    with LiveDisplay(console, agent_names=[a.name for a in agents]) as display:
        result = await runtime.execute(payload, subscribers=[display])
    # on exit the final agent panels stay on screen and the ranked hypotheses are printed

Event handling is O(1) and never renders: `display(event)` only updates a small state
object under a lock. Rendering happens on Rich's own refresh thread (`refresh_per_second`),
so a run with hundreds of agents pays for a few renders a second, not one per event. Past
`max_panels` agents the panels give way to a compact table of the agents that matter most
(failed, timed out, running), with counts for the rest.

Besides the agents it shows the run's real progress: each source being fetched (`source()`,
called by whoever fetches, from any thread), how far signal extraction got (`run_progress`
events: lines parsed) and, per agent, how many rules fired. A run that ends in milliseconds
would flash by: with `min_visible` the final frame stays on screen at least that long
(`transient` then clears it, leaving the screen to the report printed after).

When the console is not a terminal (a pipe, a CI log, a test's StringIO) there is no Live
and no ANSI: each state change is one plain line (progress at most once per
`progress_interval` seconds), and the result is plain lines too.

All data is rendered as `rich.text.Text`, never parsed as markup, so a log line containing
`[bold]` or `[/]` shows literally and cannot break or restyle the display.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alpha.display.result import one_line, plain_result_lines, result_view, strip_control
from alpha.schemas import (
    AgentEvent,
    AgentOutcome,
    AgentStatus,
    EventKind,
    ExecutionResult,
    Hypothesis,
    TokenUsage,
)

Clock = Callable[[], float]
Sleep = Callable[[float], None]

WAITING, RUNNING, DONE, FAILED, TIMED_OUT = "waiting", "running", "done", "failed", "timed out"
_STATUS_STYLE = {
    WAITING: ("dim", "…"),
    RUNNING: ("yellow", "●"),
    DONE: ("green", "✓"),
    FAILED: ("red", "✗"),
    TIMED_OUT: ("red", "⏱"),
}
_OUTCOME_STATUS = {
    EventKind.AGENT_COMPLETED: DONE,
    EventKind.AGENT_FAILED: FAILED,
    EventKind.AGENT_TIMED_OUT: TIMED_OUT,
}
_AGENT_STATUS = {AgentStatus.OK: DONE, AgentStatus.FAILED: FAILED, AgentStatus.TIMED_OUT: TIMED_OUT}
# In the compact table the agents a reader needs first come first.
_PRIORITY = {FAILED: 0, TIMED_OUT: 0, RUNNING: 1, DONE: 2, WAITING: 3}
_LABELS_SHOWN = 3
_TEXT_LIMIT = 120
_PANEL_MIN_WIDTH = 32
_NAME_WIDTH = 28
_NOTE_WIDTH = 60


@dataclass(slots=True)
class AgentView:
    """What the display knows about one agent."""

    name: str
    status: str = WAITING
    started_ms: float | None = None
    elapsed_ms: float | None = None
    progress: str | None = None
    hypotheses: list[Hypothesis] = field(default_factory=list)
    reason: str | None = None
    fallback: str | None = None
    usage: TokenUsage | None = None
    model: str | None = None
    order: int = 0


@dataclass(slots=True)
class SourceView:
    """What the display knows about one source being fetched (GitHub, Sentry, ...)."""

    name: str
    message: str
    status: str = RUNNING
    started: float = 0.0
    elapsed: float | None = None


class LiveDisplay:
    """A context manager and synchronous event subscriber that shows a run as it happens.

    Args:
        console: where to render (a new `Console()` when None).
        agent_names: agents to show as "waiting" before their first event.
        refresh_per_second: Rich's refresh rate in terminal mode.
        max_panels: above this many agents, a compact table replaces the panels.
        max_rows: rows of the compact table.
        show_result: print the ranked hypotheses on exit when the run completed.
        clock: monotonic seconds: the elapsed time of running agents and sources, and how
            long the display has been on screen.
        transient: clear the live view when it stops (the caller prints a report instead).
        min_visible: seconds the live view stays on screen at least, so that an instant run
            can still be read (terminal mode only).
        sleep: waits out `min_visible` (injected by tests).
        progress_interval: plain mode prints a progress line at most this often (seconds).
        title: the header before a run starts (e.g. "Fetching deployment 42").
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        agent_names: Sequence[str] = (),
        refresh_per_second: float = 4.0,
        max_panels: int = 12,
        max_rows: int = 16,
        show_result: bool = True,
        clock: Clock = time.monotonic,
        transient: bool = False,
        min_visible: float = 0.0,
        sleep: Sleep = time.sleep,
        progress_interval: float = 1.0,
        title: str | None = None,
    ) -> None:
        self.console = console if console is not None else Console()
        self.live_mode = self.console.is_terminal
        self.refresh_per_second = refresh_per_second
        self.max_panels = max_panels
        self.max_rows = max_rows
        self.show_result = show_result
        self.result: ExecutionResult | None = None
        self._clock = clock
        self.transient = transient
        self.min_visible = min_visible
        self._sleep = sleep
        self.progress_interval = progress_interval
        self.title = title
        self._shown_at: float | None = None
        self._step: str | None = None
        self._step_printed_at: float | None = None
        self._sources: dict[str, SourceView] = {}
        self._lock = threading.Lock()
        self._agents: dict[str, AgentView] = {}
        for name in agent_names:
            self._agent(name)
        self._signals = 0
        self._execution_id: str | None = None
        self._anchor: float | None = None  # clock time of the run's start
        self._live: Live | None = None
        self._rendered_results: set[str] = set()
        self._handlers: dict[EventKind, Callable[[AgentEvent], None]] = {
            EventKind.RUN_STARTED: self._on_run_started,
            EventKind.RUN_PROGRESS: self._on_run_progress,
            EventKind.SIGNAL_DETECTED: self._on_signal,
            EventKind.AGENT_STARTED: self._on_started,
            EventKind.AGENT_PROGRESS: self._on_progress,
            EventKind.HYPOTHESIS_PRODUCED: self._on_hypothesis,
            EventKind.AGENT_COMPLETED: self._on_outcome,
            EventKind.AGENT_FAILED: self._on_outcome,
            EventKind.AGENT_TIMED_OUT: self._on_outcome,
            EventKind.RUN_COMPLETED: self._on_run_completed,
        }

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> LiveDisplay:
        self._shown_at = self._clock()
        if self.live_mode:
            self._live = Live(
                console=self.console,
                get_renderable=self.renderable,
                refresh_per_second=self.refresh_per_second,
                # Agents may log; Live would otherwise reroute stdout into the display.
                redirect_stdout=False,
                redirect_stderr=False,
                transient=self.transient,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            if exc_type is None:
                self._live.refresh()
                self._hold()
            self._live.stop()  # renders the final state once more (cleared when transient)
            self._live = None
        if exc_type is None and self.show_result and self.result is not None:
            self.render_result(self.result)

    # ------------------------------------------------------------------ subscriber
    def __call__(self, event: AgentEvent) -> None:
        """Take one runtime event: O(1), and no rendering in terminal mode."""
        handler = self._handlers.get(event.kind)
        if handler is None:
            return
        with self._lock:
            if self._anchor is None:
                # One clock read per run: running agents' elapsed time ticks from it.
                self._anchor = self._clock() - event.elapsed_ms / 1000.0
            handler(event)
            line = None if self.live_mode else self._plain_line(event)
        if line is not None:
            line = strip_control(" ".join(line.split()))
            self.console.file.write(f"[{event.elapsed_ms / 1000:7.2f}s] {line}\n")

    def _hold(self) -> None:
        """Keep the final frame up until it has been visible `min_visible` seconds."""
        if self._shown_at is None or self.min_visible <= 0:
            return
        left = self.min_visible - (self._clock() - self._shown_at)
        if left > 0:
            self._sleep(left)

    def source(self, name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        """Show what fetching source `name` is doing; thread-safe (sources fetch in threads).

        Args:
            name: the source ("GitHub", "Sentry").
            message: what it is doing or what it got ("comparing 1a2b3c4...5ae6cd2").
            done: the source finished.
            failed: the source failed (`message` says why).
        """
        now = self._clock()
        with self._lock:
            view = self._sources.get(name)
            if view is None:
                view = self._sources[name] = SourceView(name, message, started=now)
            view.message = message
            if done or failed:
                view.status = FAILED if failed else DONE
                view.elapsed = now - view.started
        if not self.live_mode:
            state = "failed" if failed else "done" if done else "fetching"
            line = strip_control(" ".join(f"{name}: {state}: {message}".split()))
            self.console.file.write(f"[ fetch ] {line}\n")

    def render_result(self, result: ExecutionResult) -> None:
        """Print the ranked hypotheses (once per execution id for this display)."""
        if result.execution_id in self._rendered_results:
            return
        self._rendered_results.add(result.execution_id)
        render_result(result, self.console)

    # ------------------------------------------------------------------ event handlers
    # Handlers only record; text is clipped and formatted when (and if) it is shown.
    def _agent(self, name: str) -> AgentView:
        view = self._agents.get(name)
        if view is None:
            view = self._agents[name] = AgentView(name, order=len(self._agents))
        return view

    def _on_run_started(self, event: AgentEvent) -> None:
        # A display reused for another run starts from a clean slate (names kept).
        self._execution_id = event.execution_id
        self._anchor = self._clock() - event.elapsed_ms / 1000.0
        self._signals = 0
        self.result = None
        for view in self._agents.values():
            self._agents[view.name] = AgentView(view.name, order=view.order)

    def _on_run_progress(self, event: AgentEvent) -> None:
        self._step = event.message or None

    def _on_signal(self, event: AgentEvent) -> None:
        self._signals += 1

    def _on_started(self, event: AgentEvent) -> None:
        view = self._agent(event.agent_name or "?")
        view.status = RUNNING
        view.started_ms = event.elapsed_ms

    def _on_progress(self, event: AgentEvent) -> None:
        self._agent(event.agent_name or "?").progress = event.message or ""

    def _on_hypothesis(self, event: AgentEvent) -> None:
        hypothesis = event.hypothesis
        if hypothesis is not None:
            self._agent(event.agent_name or "?").hypotheses.append(hypothesis)

    def _on_outcome(self, event: AgentEvent) -> None:
        view = self._agent(event.agent_name or "?")
        view.status = _OUTCOME_STATUS[event.kind]
        if event.outcome is not None:
            _apply_outcome(view, event.outcome)
        elif view.started_ms is not None:
            view.elapsed_ms = event.elapsed_ms - view.started_ms

    def _on_run_completed(self, event: AgentEvent) -> None:
        result = event.result
        if result is None:
            return
        self.result = result
        self._execution_id = result.execution_id
        for outcome in result.agent_outcomes:
            view = self._agent(outcome.agent_name)
            view.status = _AGENT_STATUS[outcome.status]
            _apply_outcome(view, outcome)

    def _plain_line(self, event: AgentEvent) -> str | None:
        """The line plain mode prints for an event (None: the event is only counted)."""
        kind = event.kind
        if kind == EventKind.RUN_STARTED:
            return f"run {event.execution_id} started"
        if kind == EventKind.RUN_PROGRESS:
            return self._plain_progress(event.message or "")
        if kind == EventKind.RUN_COMPLETED:
            took = (
                "" if event.result is None else f" in {event.result.execution_time_ms / 1000:.2f}s"
            )
            return f"run completed{took}"
        view = self._agents.get(event.agent_name or "?")
        if view is None:
            return None
        if kind == EventKind.AGENT_STARTED:
            return f"{view.name}: started ({_plural(self._signals, 'signal')})"
        if kind == EventKind.HYPOTHESIS_PRODUCED and view.hypotheses:
            latest = view.hypotheses[-1]
            rules = f", rules: {', '.join(latest.rules)}" if latest.rules else ""
            return (
                f"{view.name}: hypothesis {_clip(latest.label)!r} ({latest.confidence:.2f}{rules})"
            )
        if kind == EventKind.AGENT_PROGRESS:
            return f"{view.name}: {_clip(view.progress or '')}"
        if kind in _OUTCOME_STATUS:
            return _plain_agent_line(view)
        return None

    def _plain_progress(self, message: str) -> str | None:
        """A progress line in plain mode: the first, then at most one per interval, and
        always the closing ones ("parsed ...", "extracted ...")."""
        now = self._clock()
        last = self._step_printed_at
        closing = not message.startswith("parsing")
        if not closing and last is not None and now - last < self.progress_interval:
            return None
        self._step_printed_at = now
        return message

    # ------------------------------------------------------------------ rendering
    def renderable(self) -> RenderableType:
        """The current view (called by Rich's refresh thread; also handy in tests)."""
        with self._lock:
            views = list(self._agents.values())
            now_ms = self._now_ms()
            header = self._header(views, now_ms)
            sources = self._source_lines()
            if len(views) <= self.max_panels:
                body = self._panel_grid(views, now_ms)
            else:
                body = self._compact_table(views, now_ms)
        parts: list[RenderableType] = [header]
        if sources is not None:
            parts.append(sources)
        if self._step:
            parts.append(Text(_clip(self._step), style="italic"))
        if views:
            parts.append(body)
        return Group(*parts)

    def _source_lines(self) -> Text | None:
        """One line per source being fetched: status, name, what it does, time."""
        if not self._sources:
            return None
        now = self._clock()
        lines = Text()
        for index, view in enumerate(self._sources.values()):
            style, mark = _STATUS_STYLE[view.status]
            elapsed = view.elapsed if view.elapsed is not None else now - view.started
            if index:
                lines.append("\n")
            lines.append(f"{mark} ", style=style)
            lines.append(f"{_clip(view.name, 12):<8}", style="bold")
            lines.append(f"{elapsed:5.1f}s  ", style="dim")
            lines.append(_clip(view.message, _NOTE_WIDTH + 20))
        lines.no_wrap = True
        lines.overflow = "ellipsis"
        return lines

    def _panel_grid(self, views: list[AgentView], now_ms: float) -> RenderableType:
        columns = max(1, min(len(views), self.console.width // _PANEL_MIN_WIDTH))
        grid = Table.grid(expand=True, padding=(0, 1))
        for _ in range(columns):
            grid.add_column(ratio=1)
        panels: list[RenderableType] = [agent_panel(view, now_ms) for view in views]
        for start in range(0, len(panels), columns):
            row = panels[start : start + columns]
            grid.add_row(*row, *([Text("")] * (columns - len(row))))
        return grid

    def _now_ms(self) -> float:
        if self.result is not None:
            return self.result.execution_time_ms  # the run is over: its clock has stopped
        if self._anchor is None:
            return 0.0
        return (self._clock() - self._anchor) * 1000.0

    def _header(self, views: list[AgentView], now_ms: float) -> Text:
        if self._execution_id is None and self.title is not None:
            return Text(_clip(self.title), style="bold")
        finished = sum(1 for view in views if view.status in (DONE, FAILED, TIMED_OUT))
        header = Text("Investigation ", style="bold")
        header.append(_clip(self._execution_id or "(not started)"), style="bold cyan")
        header.append(
            f"  ·  {_plural(self._signals, 'signal')}  ·  {finished}/{len(views)} agents finished"
            f"  ·  {now_ms / 1000:.1f}s",
            style="dim",
        )
        return header

    def _compact_table(self, views: list[AgentView], now_ms: float) -> RenderableType:
        """Many agents: one line each for the first `max_rows` by priority, then counts.

        Built as padded `Text` rather than a `Table`: measuring hundreds of cells on every
        refresh would cost the event loop more than the display is allowed to.
        """
        counts: dict[str, int] = {}
        for view in views:
            counts[view.status] = counts.get(view.status, 0) + 1
        shown = sorted(views, key=lambda v: (_PRIORITY[v.status], v.order))[: self.max_rows]
        width = max(len(view.name) for view in shown) if shown else 0
        width = min(width, _NAME_WIDTH)
        lines = Text()
        for view in shown:
            style, mark = _STATUS_STYLE[view.status]
            elapsed = _elapsed_ms(view, now_ms)
            lines.append(f"{_clip(view.name, width):<{width}}  ")
            lines.append(f"{mark} {view.status:<9}", style=style)
            lines.append(" " if elapsed is None else f" {elapsed / 1000:6.1f}s")
            lines.append(f"  {_plural(len(view.hypotheses), 'hyp', 'hyps'):>7}  ")
            note = view.reason or view.fallback or (view.progress if view.status == RUNNING else "")
            lines.append(_clip(note or "", _NOTE_WIDTH), style="dim")
            lines.append("\n")
        summary = ", ".join(f"{counts[s]} {s}" for s in _STATUS_STYLE if counts.get(s))
        lines.append(f"{len(views)} agents: {summary}", style="dim")
        hidden = len(views) - len(shown)
        if hidden:
            lines.append(f" ({hidden} more not shown)", style="dim")
        lines.no_wrap = True
        lines.overflow = "ellipsis"
        return lines


def _apply_outcome(view: AgentView, outcome: AgentOutcome) -> None:
    view.elapsed_ms = outcome.execution_time_ms
    view.reason = outcome.reason or None
    view.fallback = outcome.fallback_reason or None
    view.usage = outcome.usage
    view.model = outcome.model or view.model


def _elapsed_ms(view: AgentView, now_ms: float) -> float | None:
    if view.elapsed_ms is not None:
        return view.elapsed_ms
    if view.started_ms is not None:
        return max(0.0, now_ms - view.started_ms)
    return None


def _seconds(ms: float) -> str:
    """Elapsed time for people: `0.04s`, `1.53s`, `12.3s`."""
    return f"{ms / 1000:.2f}s" if ms < 10_000 else f"{ms / 1000:.1f}s"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _clip(text: str, limit: int = _TEXT_LIMIT) -> str:
    return one_line(text, limit)


def usage_text(usage: TokenUsage) -> str:
    """`1,234 in / 210 out tokens · $0.0012` (cost only when reported)."""
    text = f"{usage.prompt_tokens:,} in / {usage.completion_tokens:,} out tokens"
    if usage.cost_usd is not None:
        text += f" · ${usage.cost_usd:.4f}"
    return text


def _agent_usage(view: AgentView) -> str | None:
    """The agent's token line, or None when it reported neither tokens nor cost."""
    usage = view.usage
    if usage is None or not (usage.total_tokens or usage.cost_usd is not None):
        return None
    return usage_text(usage)


def agent_panel(view: AgentView, now_ms: float) -> Panel:
    """One agent's panel: status and time, then hypotheses, failure, fallback, tokens."""
    style, mark = _STATUS_STYLE[view.status]
    body = Text()
    elapsed = _elapsed_ms(view, now_ms)
    body.append(f"{mark} {view.status}", style=style)
    if elapsed is not None:
        body.append(f"  {_seconds(elapsed)}")
    if view.model:
        body.append(f"\nmodel: {_clip(view.model)}", style="dim")
    if view.status == RUNNING and view.progress:
        body.append(f"\n{_clip(view.progress)}", style="italic")
    if view.hypotheses:
        cited = {signal for h in view.hypotheses for signal in h.supporting_signals}
        rules = {rule for h in view.hypotheses for rule in h.rules}
        body.append(
            f"\n{_plural(len(view.hypotheses), 'hypothesis', 'hypotheses')}, "
            f"{_plural(len(cited), 'signal')} cited"
        )
        if rules:
            body.append(f", {_plural(len(rules), 'rule')} fired")
        for hypothesis in view.hypotheses[:_LABELS_SHOWN]:
            body.append(f"\n• {_clip(hypothesis.label)} ({hypothesis.confidence:.2f})")
        if len(view.hypotheses) > _LABELS_SHOWN:
            body.append(f"\n…and {len(view.hypotheses) - _LABELS_SHOWN} more", style="dim")
    elif view.status == DONE:
        body.append("\nno hypotheses", style="dim")
    if view.reason:
        body.append(f"\nreason: {_clip(view.reason)}", style="red")
    if view.fallback:
        body.append(f"\nfallback: {_clip(view.fallback)}", style="yellow")
    if (usage := _agent_usage(view)) is not None:
        body.append(f"\n{usage}", style="dim")
    title = Text(_clip(view.name, _NAME_WIDTH * 2), style="bold")
    return Panel(body, title=title, title_align="left", border_style=style)


def _plain_agent_line(view: AgentView) -> str:
    elapsed = "" if view.elapsed_ms is None else f" in {_seconds(view.elapsed_ms)}"
    hypotheses = _plural(len(view.hypotheses), "hypothesis", "hypotheses")
    line = f"{view.name}: {view.status}{elapsed}, {hypotheses}"
    if view.reason:
        line += f"; reason: {_clip(view.reason)}"
    if view.fallback:
        line += f"; fallback: {_clip(view.fallback)}"
    if (usage := _agent_usage(view)) is not None:
        line += f"; {usage}"
    return line


def render_result(result: ExecutionResult, console: Console | None = None) -> None:
    """Print the final ranked hypotheses: a Rich view on a terminal, plain lines otherwise."""
    console = console if console is not None else Console()
    if console.is_terminal:
        console.print(result_view(result))
    else:
        console.file.write("\n".join(plain_result_lines(result)) + "\n")

"""The live display's real progress: sources being fetched, lines parsed, rules fired, and
an instant run kept on screen long enough to read."""

from __future__ import annotations

import io

from rich.console import Console

from alpha.display import LiveDisplay
from alpha.schemas import AgentEvent, EventKind, Hypothesis


class Clock:
    """A clock the test moves by hand (and a sleep that moves it)."""

    def __init__(self) -> None:
        self.now = 10.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _console(terminal: bool) -> Console:
    return Console(file=io.StringIO(), width=100, force_terminal=terminal, color_system=None)


def _event(kind: EventKind, **kw: object) -> AgentEvent:
    return AgentEvent(kind=kind, execution_id="e1", **kw)  # type: ignore[arg-type]


def _text(console: Console, display: LiveDisplay) -> str:
    console.print(display.renderable())
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_an_instant_run_stays_on_screen_for_min_visible_then_clears() -> None:
    """A run that ends at once keeps its panels up for `min_visible` seconds (the rest of
    it, on the injected clock), and a transient display leaves the screen to the report."""
    clock = Clock()
    console = _console(True)
    with LiveDisplay(
        console,
        agent_names=["LogAgent"],
        clock=clock,
        min_visible=1.0,
        sleep=clock.sleep,
        transient=True,
        refresh_per_second=1,
    ):
        clock.now += 0.25
    assert clock.slept == [0.75]
    slow = Clock()
    with LiveDisplay(
        _console(True), clock=slow, min_visible=1.0, sleep=slow.sleep, refresh_per_second=1
    ):
        slow.now += 3.0
    assert slow.slept == []


def test_sources_lines_parsed_and_rules_fired_are_shown() -> None:
    """Fetching shows one line per source with its state; a run shows the latest progress
    of extraction and, per agent, how many rules fired."""
    clock = Clock()
    console = _console(True)
    display = LiveDisplay(console, agent_names=["LogAgent"], clock=clock, title="Fetching 42")
    display.source("GitHub", "comparing 1a2b3c4...5ae6cd2")
    display.source("Sentry", "10 issues, 40 log lines", done=True)
    clock.now += 1.5
    shown = _text(console, display)
    assert "Fetching 42" in shown
    assert "● GitHub    1.5s  comparing 1a2b3c4...5ae6cd2" in shown
    assert "✓ Sentry    0.0s  10 issues, 40 log lines" in shown
    display(_event(EventKind.RUN_STARTED))
    display(_event(EventKind.RUN_PROGRESS, message="parsing logs: 16,384 of 1,000,000 lines"))
    display(_event(EventKind.AGENT_STARTED, agent_name="LogAgent"))
    for rules in (["r.a"], ["r.a", "r.b"]):
        hypothesis = Hypothesis(label="x", confidence=0.5, rules=rules)
        display(_event(EventKind.HYPOTHESIS_PRODUCED, agent_name="LogAgent", hypothesis=hypothesis))
    shown = _text(_console(True), display)
    assert "parsing logs: 16,384 of 1,000,000 lines" in shown
    assert "2 hypotheses, 0 signals cited, 2 rules fired" in shown
    assert "0 signals" in shown and "1 signals" not in shown


def test_plain_mode_prints_sources_and_throttled_progress() -> None:
    """Piped: each source step is a line; parse progress at most once per interval, the
    closing lines always."""
    clock = Clock()
    console = _console(False)
    display = LiveDisplay(console, clock=clock, progress_interval=1.0)
    display.source("GitHub", "resolving 42")
    display(_event(EventKind.RUN_STARTED))
    for count in (16_384, 32_768):
        display(_event(EventKind.RUN_PROGRESS, message=f"parsing logs: {count:,} of 50,000 lines"))
    clock.now += 1.0
    display(_event(EventKind.RUN_PROGRESS, message="parsing logs: 49,152 of 50,000 lines"))
    display(_event(EventKind.RUN_PROGRESS, message="parsed 50,000 log lines"))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "[ fetch ] GitHub: fetching: resolving 42"
    progress = [line.split("] ", 1)[1] for line in lines if "pars" in line]
    assert progress == [
        "parsing logs: 16,384 of 50,000 lines",
        "parsing logs: 49,152 of 50,000 lines",
        "parsed 50,000 log lines",
    ]

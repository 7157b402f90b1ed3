"""The Rich live display: event handling, panels, compact view, ranked table, plain mode.

Rendered output is compared with golden files under tests/alpha/display/golden/ (fixed
width 100, no colour). Regenerate them with
`ALPHA_UPDATE_GOLDEN=1 python -m pytest tests/alpha/display` (those tests then report
"skipped: golden file written") and review the diff.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from alpha import AlphaRuntime
from alpha.agents.base import AgentContext, BaseAgent
from alpha.display import LiveDisplay, plain_result_lines, render_result
from alpha.display.live import agent_panel
from alpha.schemas import (
    AgentEvent,
    AgentOutcome,
    AgentResult,
    AgentStatus,
    EventKind,
    ExecutionResult,
    Hypothesis,
    RankedHypothesis,
    Rejection,
    Signal,
    TokenUsage,
)

GOLDEN = Path(__file__).parent / "golden"
Golden = Callable[[Path, str], None]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
EXEC = "exec-42"
MARKUP = "pool [bold]exhausted[/bold] [/]"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def console(*, terminal: bool, width: int = 100) -> Console:
    return Console(
        file=io.StringIO(),
        width=width,
        force_terminal=terminal,
        color_system=None,
        legacy_windows=False,
    )


def output(con: Console) -> str:
    assert isinstance(con.file, io.StringIO)
    return con.file.getvalue()


def render(renderable: object, *, terminal: bool = True) -> str:
    con = console(terminal=terminal)
    con.print(renderable)
    return output(con)


def trimmed(text: str) -> str:
    """Rendered text without trailing blanks: Rich pads lines to the console width, and
    editors that trim whitespace must not break the golden comparison."""
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def ev(kind: EventKind, ms: float, agent: str | None = None, **payload: object) -> AgentEvent:
    return AgentEvent(kind=kind, execution_id=EXEC, agent_name=agent, elapsed_ms=ms, **payload)  # type: ignore[arg-type]


def hyp(label: str, confidence: float, *signals: str) -> Hypothesis:
    return Hypothesis(label=label, confidence=confidence, supporting_signals=list(signals))


SIGNALS = [
    Signal(id="sig_001", type="log_pattern", description="42 x ERROR pool timeout", source="logs"),
    Signal(id="sig_002", type="metric", description="p99 latency 120 -> 480 ms", source="metrics"),
    Signal(id="sig_003", type="config", description="database.pool_size 50 -> 5", source="config"),
]

OUTCOMES = [
    AgentOutcome(
        agent_name="logs", status=AgentStatus.OK, execution_time_ms=812.0, hypotheses_produced=2
    ),
    AgentOutcome(
        agent_name="config",
        status=AgentStatus.OK,
        execution_time_ms=1530.0,
        hypotheses_produced=1,
        fallback_reason="LLM unreachable: HTTP 402 out of credit",
        usage=TokenUsage(prompt_tokens=1234, completion_tokens=210, cost_usd=0.0012, calls=1),
        model="org/model-x",
    ),
    AgentOutcome(
        agent_name="commits",
        status=AgentStatus.FAILED,
        execution_time_ms=40.0,
        reason="ValueError: bad [red]patch[/red]",
    ),
    AgentOutcome(
        agent_name="metrics",
        status=AgentStatus.TIMED_OUT,
        execution_time_ms=3000.0,
        reason="timed out",
    ),
]


def run_events(result: ExecutionResult | None = None) -> list[AgentEvent]:
    """A whole run: signals, four agents (ok, ok with fallback, failed, timed out)."""
    events = [ev(EventKind.RUN_STARTED, 0)]
    events += [ev(EventKind.SIGNAL_DETECTED, 1, signal=s) for s in SIGNALS]
    for name in ("logs", "config", "commits", "metrics"):
        events.append(ev(EventKind.AGENT_STARTED, 2, name))
    events.append(ev(EventKind.AGENT_PROGRESS, 3, "logs", message="clustering 1,000 lines"))
    events.append(ev(EventKind.AGENT_PROGRESS, 3, "config", message="asking the model"))
    events.append(ev(EventKind.AGENT_FAILED, 42, "commits", outcome=OUTCOMES[2]))
    events.append(
        ev(EventKind.HYPOTHESIS_PRODUCED, 800, "logs", hypothesis=hyp(MARKUP, 0.8, "sig_001"))
    )
    events.append(
        ev(
            EventKind.HYPOTHESIS_PRODUCED,
            801,
            "logs",
            hypothesis=hyp("Retry storm", 0.3, "sig_002"),
        )
    )
    events.append(ev(EventKind.AGENT_COMPLETED, 814, "logs", outcome=OUTCOMES[0]))
    events.append(
        ev(
            EventKind.HYPOTHESIS_PRODUCED,
            1530,
            "config",
            hypothesis=hyp("Pool size cut to 5", 0.75, "sig_003", "sig_001"),
        )
    )
    events.append(ev(EventKind.AGENT_COMPLETED, 1532, "config", outcome=OUTCOMES[1]))
    events.append(ev(EventKind.AGENT_TIMED_OUT, 3002, "metrics", outcome=OUTCOMES[3]))
    events.append(ev(EventKind.RUN_COMPLETED, 3010, result=result or make_result()))
    return events


def make_result(*, review: bool = True) -> ExecutionResult:
    return ExecutionResult(
        execution_id=EXEC,
        deployment_id="deploy-7",
        ranked_hypotheses=[
            RankedHypothesis(
                label="Pool size cut to 5",
                confidence=0.75,
                score=0.85,
                rank=1,
                category="config_change",
                supporting_signals=["sig_003", "sig_001"],
                suspects=["database.pool_size", "config/db.yaml"],
                contributing_agents=["config", "logs"],
            ),
            RankedHypothesis(
                label=MARKUP,
                confidence=0.8,
                score=0.8,
                rank=2,
                category="resource_exhaustion",
                supporting_signals=["sig_001"],
                contributing_agents=["logs"],
            ),
        ],
        signals_used=SIGNALS,
        agent_outcomes=OUTCOMES,
        rejections=[Rejection(agent_name="logs", label="x", reason="cites sig_999")],
        requires_human_review=review,
        review_reasons=["2 of 4 agents failed or timed out"] if review else [],
        summary="The deploy cut the DB pool from 50 to 5; requests queue for connections.",
        next_actions=["Restore database.pool_size to 50", "Watch p99 latency for 15 min"],
        gaps=["GitHub unreachable: HTTP 503 after 3 tries"],
        usage=TokenUsage(prompt_tokens=1234, completion_tokens=210, cost_usd=0.0012, calls=1),
        execution_time_ms=3010.0,
    )


# ---------------------------------------------------------------------- plain mode


def test_plain_mode_golden(golden: Golden) -> None:
    """Without a terminal each state change is one plain line, then the result; no ANSI."""
    con = console(terminal=False)
    with LiveDisplay(con, agent_names=["logs", "config", "commits", "metrics"]) as display:
        assert not display.live_mode
        for event in run_events():
            display(event)
    text = output(con)
    assert "\x1b" not in text
    golden(GOLDEN / "display_plain.txt", trimmed(text))


def test_plain_result_lines_without_hypotheses() -> None:
    """A run that ranked nothing says why: nothing was proposed, or the judge refused it;
    no review banner when none is due."""
    result = ExecutionResult(execution_id="e", deployment_id="d", execution_time_ms=5.0)
    lines = plain_result_lines(result)
    assert (
        "No hypothesis was proposed: no agent found evidence strong enough to name a cause."
        in lines
    )
    assert not any("survived" in line or "REVIEW" in line for line in lines)
    refused = result.model_copy(
        update={"rejections": [Rejection(agent_name="a", label="x", reason="cites sig_404")]}
    )
    assert "No hypothesis survived the judge (1 hypothesis rejected)." in plain_result_lines(
        refused
    )


# ---------------------------------------------------------------------- terminal mode


def test_panels_golden_midway(golden: Golden) -> None:
    """Mid-run panels: running agent ticks with the clock, finished ones show their outcome."""
    clock = FakeClock()
    display = LiveDisplay(
        console(terminal=True), agent_names=["logs", "config", "commits", "metrics"], clock=clock
    )
    events = run_events()
    for event in events[:14]:  # up to logs' completion, before config finishes
        display(event)
    clock.now += 1.25  # 1.25 s after the last event
    text = render(display.renderable())
    # The run started at clock 100.0 (its first event); config started 2 ms in; now is 101.25.
    assert "● running  1.25s" in text and "·  1.2s" in text
    golden(GOLDEN / "display_panels_midway.txt", trimmed(text))


def test_panels_golden_final(golden: Golden) -> None:
    """Final panels: fallback note, tokens and cost, failure reasons with literal markup."""
    display = LiveDisplay(console(terminal=True), clock=FakeClock())
    for event in run_events():
        display(event)
    text = render(display.renderable())
    panels = {view.name: render(agent_panel(view, 0.0)) for view in display._agents.values()}
    assert "reason: ValueError: bad [red]patch[/red]" in panels["commits"]
    assert "fallback: LLM unreachable: HTTP 402 out of credit" in panels["config"]
    assert "1,234 in / 210 out tokens · $0.0012" in panels["config"]
    assert "model: org/model-x" in panels["config"]
    assert "• pool [bold]exhausted[/bold] [/] (0.80)" in panels["logs"]
    assert "2 hypotheses, 2 signals cited" in panels["logs"]
    assert "⏱ timed out  3.00s" in panels["metrics"]
    assert "4/4 agents finished  ·  3.0s" in text  # the result's elapsed time once complete
    golden(GOLDEN / "display_panels_final.txt", trimmed(text))


def test_result_view_golden(golden: Golden) -> None:
    """The ranked table, cited evidence, summary, next actions, review banner and footer."""
    con = console(terminal=True)
    render_result(make_result(), con)
    text = output(con)
    assert text.index("HUMAN REVIEW REQUIRED") < text.index("Ranked hypotheses")
    golden(GOLDEN / "display_result.txt", trimmed(text))


def test_events_do_not_render() -> None:
    """Handling events writes nothing in terminal mode: rendering waits for Rich's refresh."""
    con = console(terminal=True)
    display = LiveDisplay(con)
    for event in run_events():
        display(event)
    assert output(con) == ""
    assert display.result is not None and display.result.execution_id == EXEC


def test_many_agents_compact_view() -> None:
    """Past max_panels, a compact list puts failures first and counts the hidden agents."""
    names = [f"agent-{i:03d}" for i in range(40)]
    display = LiveDisplay(console(terminal=True), agent_names=names, max_rows=5, clock=FakeClock())
    for i, name in enumerate(names[:30]):
        display(ev(EventKind.AGENT_STARTED, 1, name))
        if i % 10 == 9:
            outcome = AgentOutcome(
                agent_name=name, status=AgentStatus.FAILED, execution_time_ms=5, reason=f"boom {i}"
            )
            display(ev(EventKind.AGENT_FAILED, 6, name, outcome=outcome))
        elif i < 20:
            outcome = AgentOutcome(agent_name=name, status=AgentStatus.OK, execution_time_ms=5)
            display(ev(EventKind.AGENT_COMPLETED, 6, name, outcome=outcome))
    text = render(display.renderable())
    rows = [line for line in text.splitlines() if line.startswith("agent-")]
    assert [row.split()[0] for row in rows] == [
        "agent-009",
        "agent-019",
        "agent-029",
        "agent-020",
        "agent-021",
    ]
    assert "boom 9" in rows[0]
    assert "40 agents: 10 waiting, 9 running, 18 done, 3 failed (35 more not shown)" in text
    assert "╭" not in text  # no panels


def test_render_result_once_per_execution() -> None:
    """The display prints a given run's result once, even if asked again after exit."""
    con = console(terminal=False)
    with LiveDisplay(con) as display:
        for event in run_events():
            display(event)
    display.render_result(make_result())
    assert output(con).count("1. Pool size cut to 5") == 1


def test_no_result_printed_when_the_block_raises() -> None:
    """If the run raised inside the block, the display stops without printing a result."""
    con = console(terminal=False)
    with pytest.raises(RuntimeError), LiveDisplay(con) as display:
        for event in run_events():
            display(event)
        raise RuntimeError("run crashed")
    assert "1. Pool size cut to 5" not in output(con)


def test_large_agent_lists_are_capped_in_the_result() -> None:
    """A hypothesis backed by hundreds of agents lists four and counts the rest."""
    result = make_result(review=False)
    result.ranked_hypotheses[0].contributing_agents = [f"agent-{i:03d}" for i in range(300)]
    text = "\n".join(plain_result_lines(result))
    assert "agents: agent-000, agent-001, agent-002, agent-003 +296 more" in text
    assert "agent-004" not in text


@pytest.mark.parametrize("terminal", [False, True])
def test_control_characters_never_reach_the_terminal(terminal: bool) -> None:
    """ESC and other control bytes from data are dropped from panels, lines and the result."""
    hostile = "pool\x1b[2J\x1b]0;pwned\x07 exhausted\x9b"
    result = make_result()
    result.ranked_hypotheses[0].label = hostile
    result.summary = hostile
    con = console(terminal=terminal)
    display = LiveDisplay(con, clock=FakeClock())
    display(ev(EventKind.AGENT_STARTED, 1, "logs"))
    display(ev(EventKind.AGENT_PROGRESS, 2, "logs", message=hostile))
    display(ev(EventKind.HYPOTHESIS_PRODUCED, 3, "logs", hypothesis=hyp(hostile, 0.5)))
    if terminal:
        con.print(display.renderable())
    display.render_result(result)
    text = output(con)
    assert "pool[2J]0;pwned exhausted" in text
    assert not any(ch in text for ch in "\x1b\x07\x9b")


def test_display_reused_for_a_second_run_starts_clean() -> None:
    """A new run_started resets agent states, the signal count and the previous result."""
    display = LiveDisplay(console(terminal=True), agent_names=["logs"], clock=FakeClock())
    for event in run_events():
        display(event)
    display(AgentEvent(kind=EventKind.RUN_STARTED, execution_id="exec-43"))
    text = render(display.renderable())
    assert "Investigation exec-43  ·  0 signals  ·  0/4 agents finished" in text
    assert display.result is None and "✓ done" not in text and "… waiting" in text


# ---------------------------------------------------------------------- with the runtime


class SleepyAgent(BaseAgent):
    """Reports progress, waits, then returns one hypothesis citing the first signal."""

    def __init__(self, name: str, *, fail: bool = False) -> None:
        self.name = name
        self.fail = fail

    async def run(self, context: AgentContext) -> AgentResult:
        context.progress("reading [bold]logs[/bold]")
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("exploded [/]")
        hypothesis = Hypothesis(
            label=f"{self.name} [bold]suspects[/bold] the pool",
            confidence=0.7,
            supporting_signals=[context.signals[0].id],
            category="config_change",
        )
        return AgentResult(agent_name=self.name, hypotheses=[hypothesis])


PAYLOAD = {
    "deployment_id": "d-1",
    "logs": ["2026-11-20T14:03:00Z ERROR db timeout after 5000 ms"] * 20,
    "metrics": {"error_rate": [0.1, 0.1, 5.0, 5.2]},
    "recent_commits": [],
    "config_snapshot": {"database": {"pool_size": 5}},
}


@pytest.mark.parametrize("terminal", [False, True])
async def test_live_run_end_to_end(terminal: bool) -> None:
    """Attached to a real run, the display ends with every agent's state and the ranked table."""
    runtime = AlphaRuntime(agent_timeout=5.0)
    for agent in (
        SleepyAgent("alpha-one"),
        SleepyAgent("beta-two"),
        SleepyAgent("gamma", fail=True),
    ):
        runtime.register(agent)
    con = console(terminal=terminal, width=240)  # wide enough that no cell wraps
    with LiveDisplay(con, agent_names=["alpha-one", "beta-two", "gamma"]) as display:
        assert display.live_mode is terminal
        result = await runtime.execute(PAYLOAD, subscribers=[display])
    text = ANSI.sub("", output(con))
    assert result.ranked_hypotheses
    assert "alpha-one [bold]suspects[/bold] the pool" in text
    assert "exploded [/]" in text
    assert ("Ranked hypotheses" in text) is terminal
    assert (f"1. {result.ranked_hypotheses[0].label}" in text) is not terminal
    if terminal:
        assert "✗ failed" in text and "✓ done" in text
    else:
        assert "gamma: failed" in text and "alpha-one: done" in text

"""The state of one investigation as the Slack message shows it, folded from runtime events.

`RunView.apply(event)` is a pure reducer (no clock, no I/O): the message is re-rendered from
the view after every event, and the publisher decides how often that reaches Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from alpha.schemas import AgentEvent, AgentStatus, EventKind, ExecutionResult

AgentState = Literal["waiting", "running", "ok", "failed", "timed_out"]
Phase = Literal["queued", "gathering", "running", "done", "error"]
SourceState = Literal["fetching", "done", "failed"]
# A source's word is one line of the message; upstream text is cut to this many characters.
MAX_SOURCE_MESSAGE = 300

_OUTCOME_STATE: dict[AgentStatus, AgentState] = {
    AgentStatus.OK: "ok",
    AgentStatus.FAILED: "failed",
    AgentStatus.TIMED_OUT: "timed_out",
}


@dataclass
class AgentView:
    """One agent's panel: the Slack twin of a terminal panel."""

    name: str
    state: AgentState = "waiting"
    elapsed_ms: float | None = None
    started_at_ms: float | None = None
    hypotheses: int = 0
    cited_signals: set[str] = field(default_factory=set)
    last_message: str | None = None
    reason: str | None = None
    fallback_reason: str | None = None


@dataclass
class SourceView:
    """One live source's line: what it is fetching now, or how it ended (its gap if failed)."""

    name: str
    state: SourceState = "fetching"
    message: str = ""


@dataclass
class RunView:
    """Everything the in-progress message renders.

    Args:
        title: what is investigated, e.g. "deployment `deploy-42`" (untrusted parts escaped
            by the renderer, not here).
        agent_names: the panels to show up front, in display order.
        source_names: the live sources the payload is gathered from ("GitHub", "Sentry"),
            named while gathering; none for the bundled demo. Each source gets its own line
            when it first says what it is doing.
    """

    title: str
    agent_names: Sequence[str] = ()
    source_names: Sequence[str] = ()
    phase: Phase = "queued"
    execution_id: str | None = None
    elapsed_ms: float = 0.0
    signals: int = 0
    note: str | None = None
    agents: dict[str, AgentView] = field(default_factory=dict)
    sources: dict[str, SourceView] = field(default_factory=dict)
    result: ExecutionResult | None = None

    def __post_init__(self) -> None:
        for name in self.agent_names:
            self.agents.setdefault(name, AgentView(name))

    def agent(self, name: str) -> AgentView:
        """The panel of `name`, created on first sight (agents not announced up front)."""
        view = self.agents.get(name)
        if view is None:
            view = self.agents[name] = AgentView(name)
        return view

    def source(self, name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        """Fold one word of a live source (a `SourceProgress` call) into the view.

        A source's end is final: a late word from its abandoned thread (a GitHub call still
        running after the source timed out) does not turn a failure back into "fetching".
        """
        view = self.sources.get(name)
        if view is None:
            view = self.sources[name] = SourceView(name)
        elif view.state != "fetching":
            return
        view.message = message[:MAX_SOURCE_MESSAGE]
        if failed:
            view.state = "failed"
        elif done:
            view.state = "done"

    def apply(self, event: AgentEvent) -> None:
        """Fold one runtime event into the view."""
        self.phase = "running" if self.phase in ("queued", "gathering") else self.phase
        self.execution_id = event.execution_id
        self.elapsed_ms = max(self.elapsed_ms, event.elapsed_ms)
        if event.kind is EventKind.SIGNAL_DETECTED:
            self.signals += 1
        elif event.kind is EventKind.RUN_COMPLETED:
            self.result = event.result
            self.phase = "done"
        if event.agent_name is not None:
            self._apply_agent(self.agent(event.agent_name), event)

    def _apply_agent(self, view: AgentView, event: AgentEvent) -> None:
        kind = event.kind
        if kind is EventKind.AGENT_STARTED:
            view.state = "running"
            view.started_at_ms = event.elapsed_ms
        elif kind is EventKind.AGENT_PROGRESS:
            view.last_message = event.message
        elif kind is EventKind.HYPOTHESIS_PRODUCED and event.hypothesis is not None:
            view.hypotheses += 1
            view.cited_signals.update(event.hypothesis.supporting_signals)
        elif event.outcome is not None and kind in (
            EventKind.AGENT_COMPLETED,
            EventKind.AGENT_FAILED,
            EventKind.AGENT_TIMED_OUT,
        ):
            outcome = event.outcome
            view.state = _OUTCOME_STATE.get(outcome.status, "failed")
            view.elapsed_ms = outcome.execution_time_ms
            view.reason = outcome.reason
            view.fallback_reason = outcome.fallback_reason
            view.hypotheses = max(view.hypotheses, outcome.hypotheses_produced)
        if view.state == "running" and view.started_at_ms is not None:
            view.elapsed_ms = event.elapsed_ms - view.started_at_ms

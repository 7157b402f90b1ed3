"""The parallel executor: runs every agent at once, each under its own deadline.

Agents run as tasks of one `asyncio.TaskGroup`. Each has a timeout (the agent's own
`timeout` attribute, else the executor's default). An agent that raises or overruns is
recorded as failed or timed out, with its reason, and the others carry on: agent failures
never leave `run`. Cancelling the run itself is never swallowed: the TaskGroup cancels every
agent and the `CancelledError` propagates.

Every result the executor hands back carries the agent's wall time in `execution_time_ms`
and, on each hypothesis that left it empty, the agent's name in `contributing_agent`.

`execute(agents, context)` is the design's form: one shared context, and the results of the
agents that succeeded. `run(agents, context_for, events=, review=)` is what the runtime uses:
a context per agent (each with its own progress channel), one `AgentRun` per agent whatever
happened, events, and, when a `review` callable is given (the runtime passes the judge), each
result judged as soon as its agent finishes, so the `agent_completed` event already tells how
many hypotheses were accepted and only accepted hypotheses are announced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.events import EventEmitter
from alpha.judge.judge import JudgedResult
from alpha.schemas import AgentOutcome, AgentResult, AgentStatus, EventKind

__all__ = ["DEFAULT_AGENT_TIMEOUT", "AgentRun", "ParallelExecutor", "ResultReview"]

_log = logging.getLogger(__name__)

DEFAULT_AGENT_TIMEOUT = 30.0
# Exception messages can be huge (a whole HTTP body); outcomes stay readable.
_MAX_REASON_CHARS = 500

_TERMINAL_EVENT = {
    AgentStatus.OK: EventKind.AGENT_COMPLETED,
    AgentStatus.FAILED: EventKind.AGENT_FAILED,
    AgentStatus.TIMED_OUT: EventKind.AGENT_TIMED_OUT,
}

ResultReview = Callable[[str, AgentResult], JudgedResult]
"""Judges the result of the named agent (the runtime binds the judge and the memory)."""


@dataclass(frozen=True)
class AgentRun:
    """How one agent's run went.

    Attributes:
        agent_name: The agent's name.
        outcome: Status, elapsed time, reason, counts, usage.
        result: What the agent returned (None when it failed or timed out).
        judged: The judge's verdict on `result`, when a review was given.
        started_ms: When the agent started, in ms since `ParallelExecutor.run` began.
        finished_ms: When it finished, failed or was stopped, on the same scale.
    """

    agent_name: str
    outcome: AgentOutcome
    result: AgentResult | None
    judged: JudgedResult | None
    started_ms: float
    finished_ms: float


class ParallelExecutor:
    """Runs agents concurrently with per-agent timeouts.

    Args:
        default_timeout: Seconds an agent may take when it sets no `timeout` of its own.
        clock: Monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        *,
        default_timeout: float = DEFAULT_AGENT_TIMEOUT,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        _check_timeout("default_timeout", default_timeout)
        self.default_timeout = default_timeout
        self._clock = clock

    def timeout_for(self, agent: BaseAgent) -> float:
        """The deadline that applies to this agent, in seconds."""
        if agent.timeout is None:
            return self.default_timeout
        _check_timeout(f"{agent.name}.timeout", agent.timeout)
        return agent.timeout

    async def execute(
        self, agents: Sequence[BaseAgent], context: AgentContext
    ) -> list[AgentResult]:
        """Run every agent concurrently on one context; return the results of those that
        succeeded, in the order of `agents`.

        An agent that raises, times out or returns something else than an `AgentResult` is
        logged and skipped; the others' results are returned.
        """
        runs = await self.run(agents, lambda _agent: context)
        for run in runs:
            if run.result is None:
                _log.warning(
                    "agent %s %s: %s", run.agent_name, run.outcome.status.value, run.outcome.reason
                )
        return [run.result for run in runs if run.result is not None]

    async def run(
        self,
        agents: Sequence[BaseAgent],
        context_for: Callable[[BaseAgent], AgentContext],
        *,
        events: EventEmitter | None = None,
        review: ResultReview | None = None,
    ) -> list[AgentRun]:
        """Run every agent concurrently and wait for all of them.

        Args:
            agents: The agents, in the order their runs are returned.
            context_for: Builds the context handed to one agent.
            events: Receives agent_started / hypothesis_produced / agent_* events.
            review: Judges each result as soon as its agent finishes.

        Returns:
            One `AgentRun` per agent, in the order of `agents`.
        """
        # Every timeout is checked before any agent starts: a bad one refuses the whole run.
        timeouts = [self.timeout_for(agent) for agent in agents]
        origin = self._clock()
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    self._run_one(agent, timeout, context_for(agent), origin, events, review),
                    name=f"agent:{agent.name}",
                )
                for agent, timeout in zip(agents, timeouts, strict=True)
            ]
        return [task.result() for task in tasks]

    async def _run_one(
        self,
        agent: BaseAgent,
        seconds: float,
        context: AgentContext,
        origin: float,
        events: EventEmitter | None,
        review: ResultReview | None,
    ) -> AgentRun:
        if events is not None:
            events.emit(EventKind.AGENT_STARTED, agent_name=agent.name)
        started = self._clock()
        deadline = asyncio.timeout(seconds)
        returned: object = None
        status, reason = AgentStatus.OK, None
        try:
            async with deadline:
                returned = await agent.run(context)
        except TimeoutError as exc:
            # An agent may raise TimeoutError itself (an HTTP client's); only our deadline
            # counts as timing out.
            if deadline.expired():
                status, reason = AgentStatus.TIMED_OUT, f"no result within {seconds:g} s"
            else:
                status, reason = AgentStatus.FAILED, _describe(exc)
        except Exception as exc:  # an agent's bug is recorded; CancelledError propagates
            status, reason = AgentStatus.FAILED, _describe(exc)
        finished = self._clock()
        if status is AgentStatus.OK and not isinstance(returned, AgentResult):
            status = AgentStatus.FAILED
            reason = f"returned {type(returned).__name__}, not AgentResult"
        elapsed_ms = (finished - started) * 1000.0
        result = _stamped(returned, agent.name, elapsed_ms) if status is AgentStatus.OK else None
        judged = review(agent.name, result) if review is not None and result is not None else None
        outcome = _outcome(agent, status, elapsed_ms, reason, result, judged)
        if events is not None:
            _announce(events, agent.name, outcome, judged, result)
        return AgentRun(
            agent_name=agent.name,
            outcome=outcome,
            result=result,
            judged=judged,
            started_ms=(started - origin) * 1000.0,
            finished_ms=(finished - origin) * 1000.0,
        )


def _stamped(returned: object, agent_name: str, elapsed_ms: float) -> AgentResult | None:
    """The result with its execution time, and its hypotheses attributed to the agent."""
    if not isinstance(returned, AgentResult):
        return None
    hypotheses = [
        h if h.contributing_agent else h.model_copy(update={"contributing_agent": agent_name})
        for h in returned.hypotheses
    ]
    return returned.model_copy(update={"execution_time_ms": elapsed_ms, "hypotheses": hypotheses})


def _outcome(
    agent: BaseAgent,
    status: AgentStatus,
    elapsed_ms: float,
    reason: str | None,
    result: AgentResult | None,
    judged: JudgedResult | None,
) -> AgentOutcome:
    produced = len(result.hypotheses) if result is not None else 0
    accepted = len(judged.result.hypotheses) if judged is not None else produced
    return AgentOutcome(
        agent_name=agent.name,
        status=status,
        execution_time_ms=elapsed_ms,
        reason=reason,
        hypotheses_produced=produced,
        hypotheses_accepted=accepted,
        fallback_reason=result.fallback_reason if result is not None else None,
        usage=result.usage if result is not None else None,
        # The model the agent actually asked; None when it ran on its rules alone, so no
        # display claims an LLM was involved when it was not.
        model=result.model if result is not None else None,
    )


def _announce(
    events: EventEmitter,
    agent_name: str,
    outcome: AgentOutcome,
    judged: JudgedResult | None,
    result: AgentResult | None,
) -> None:
    accepted = judged.result if judged is not None else result
    if accepted is not None:
        for hypothesis in accepted.hypotheses:
            events.emit(EventKind.HYPOTHESIS_PRODUCED, agent_name=agent_name, hypothesis=hypothesis)
    events.emit(
        _TERMINAL_EVENT[outcome.status],
        agent_name=agent_name,
        outcome=outcome,
        message=outcome.reason,
    )


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if len(text) > _MAX_REASON_CHARS:
        text = text[: _MAX_REASON_CHARS - 1] + "…"
    return text


def _check_timeout(name: str, value: float) -> None:
    if not value > 0:  # also refuses NaN
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")

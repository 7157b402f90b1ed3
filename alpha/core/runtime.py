"""The runtime: one investigation from payload to ranked, evidence-checked hypotheses.

Pipeline of `AlphaRuntime.execute`:

1. validate the payload (`IncidentInput`; a bad payload raises `InputError` naming fields);
2. initialise a `StructuredMemory` and extract signals into it in a worker thread (one
   `signal_detected` event each; the extractor may report `run_progress` and stops when the
   run is cancelled, see `alpha.core.progress`); the default extractor is the generic
   `alpha.core.signals.basic_signals`; with a `signal_index` hook, build the vertical's
   index of the signals once for the run;
3. run every registered agent in parallel (`ParallelExecutor`) on an `AgentContext` built
   from memory (and carrying the shared index), judging each result as soon as its agent
   finishes (`JudgeLayer`; refused hypotheses become `Rejection`s, accepted ones are added
   to memory);
4. merge and rank the accepted hypotheses (`Aggregator`, top N);
5. run the optional post-aggregation step (summary, next actions); its failure or timeout
   is recorded in `gaps` and never sinks the run;
6. decide whether a human must review the result (see `review_reasons`);
7. emit `run_completed` with the `ExecutionResult`, and return it once every subscriber has
   received every event of the run.

`ExecutionResult.agent_results` holds each successful agent's result as it returned it (the
judge's refusals are listed in `rejections`); `usage` sums the agents' and the
post-aggregation step's usage.

The runtime is generic: what a category or a suspect means is the vertical's business,
injected through `judge=` (the categories it accepts) and `aggregator=` (how suspects match).

Human review is required when any of these holds, each giving one reason:
no hypothesis passed the judge; the top score is below `review_threshold`; more than half
of the agents failed or timed out.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from alpha.agents.base import AgentContext, BaseAgent
from alpha.aggregation.aggregator import Aggregator
from alpha.core.errors import InputError
from alpha.core.events import EventDispatcher, EventEmitter, EventSubscriber
from alpha.core.executor import DEFAULT_AGENT_TIMEOUT, AgentRun, ParallelExecutor
from alpha.core.memory import StructuredMemory
from alpha.core.progress import StepProgress, progress_scope
from alpha.core.registry import AgentRegistry
from alpha.core.signals import basic_signals
from alpha.judge.judge import JudgedResult, JudgeLayer
from alpha.schemas import (
    AgentResult,
    AgentStatus,
    EventKind,
    ExecutionResult,
    IncidentInput,
    RankedHypothesis,
    Rejection,
    Signal,
    Synthesis,
    TokenUsage,
)

__all__ = [
    "AlphaRuntime",
    "EventSubscriber",
    "PostAggregationStep",
    "SignalExtractor",
    "SignalIndexer",
    "parse_incident",
    "review_reasons",
]

SignalExtractor = Callable[[IncidentInput], list[Signal]]
# Builds a vertical's index of a run's signals (opaque to the runtime), shared by its agents.
SignalIndexer = Callable[[list[Signal], IncidentInput], object]
PostAggregationStep = Callable[
    [IncidentInput, list[Signal], list[RankedHypothesis]], Awaitable[Synthesis]
]

# Validation errors quoted in an InputError before the rest are counted.
_MAX_REPORTED_ERRORS = 10


class AlphaRuntime:
    """Runs registered agents on an incident and returns ranked, judged hypotheses.

    Args:
        agent_timeout: Default seconds per agent (an agent's own `timeout` wins); also the
            deadline of the post-aggregation step.
        signal_extractor: Turns the incident into signals; `basic_signals` by default.
        signal_index: Builds an index of the signals once per run, handed to every agent
            as `AgentContext.signal_index`; None by default.
        post_aggregation: Optional step filling `summary` and `next_actions`.
        review_threshold: A top score below this requires human review.
        judge: The judge (default: any category, low/medium/high severities).
        aggregator: The aggregator (default: top 5, bonus 0.1, suspects equal ignoring case).
        clock: Monotonic seconds, for elapsed times.
        now: Wall-clock time, for `started_at`.
    """

    def __init__(
        self,
        *,
        agent_timeout: float = DEFAULT_AGENT_TIMEOUT,
        signal_extractor: SignalExtractor | None = None,
        signal_index: SignalIndexer | None = None,
        post_aggregation: PostAggregationStep | None = None,
        review_threshold: float = 0.5,
        judge: JudgeLayer | None = None,
        aggregator: Aggregator | None = None,
        clock: Callable[[], float] = time.perf_counter,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 0.0 <= review_threshold <= 1.0:
            raise ValueError(f"review_threshold must be in [0, 1], got {review_threshold!r}")
        self._executor = ParallelExecutor(default_timeout=agent_timeout, clock=clock)
        self._aggregator = aggregator or Aggregator()
        self._judge = judge or JudgeLayer()
        self._extract = signal_extractor or basic_signals
        self._index = signal_index
        self._post_aggregation = post_aggregation
        self._review_threshold = review_threshold
        self._registry = AgentRegistry()
        self._subscribers: list[EventSubscriber] = []
        self._clock = clock
        self._now = now

    @property
    def agents(self) -> list[BaseAgent]:
        """The registered agents, in registration order."""
        return self._registry.get_all()

    def register(self, agent: BaseAgent) -> None:
        """Add an agent; a duplicate or empty name raises `ValueError`."""
        self._registry.register(agent)

    def subscribe(self, subscriber: EventSubscriber) -> None:
        """Deliver the events of every later run of this runtime to `subscriber`."""
        self._subscribers.append(subscriber)

    async def execute(
        self,
        payload: IncidentInput | Mapping[str, Any],
        *,
        subscribers: Sequence[EventSubscriber] = (),
        execution_id: str | None = None,
        gaps: Sequence[str] = (),
    ) -> ExecutionResult:
        """Investigate one incident.

        Args:
            payload: An `IncidentInput` or a mapping validated into one.
            subscribers: Receive this run's events, after the runtime's own subscribers.
            execution_id: Identifies the run in events and the result (random when None).
            gaps: Sources already known to be missing (passed through to the result).

        Returns:
            The ranked hypotheses with everything that led to them.

        Raises:
            InputError: The payload does not match the incident contract.
        """
        # Validating and extracting a huge payload (1,000,000 log lines) is CPU work of up to
        # seconds; a worker thread keeps the event loop (the Slack bot's acks) responsive.
        incident = (
            payload
            if isinstance(payload, IncidentInput)
            else await asyncio.to_thread(parse_incident, payload)
        )
        run_id = execution_id or uuid.uuid4().hex[:12]
        started_at = self._now()
        start = self._clock()
        async with EventDispatcher(
            run_id, [*self._subscribers, *subscribers], clock=self._clock
        ) as events:
            events.emit(EventKind.RUN_STARTED, message=incident.deployment_id)
            signals, index = await self._extract_off_loop(incident, events)
            memory = self._remember(signals, events)
            runs = await self._executor.run(
                self._registry.get_all(),
                lambda agent: self._context(agent, incident, memory, events, index),
                events=events,
                review=lambda name, result: self._judge.validate(result, memory, agent_name=name),
            )
            judged = [run.judged for run in runs if run.judged is not None]
            for verdict in judged:
                for hypothesis in verdict.result.hypotheses:
                    memory.add_hypothesis(hypothesis)
            ranked = self._aggregator.aggregate(judged)
            all_gaps = list(gaps)
            synthesis = await self._synthesise(incident, memory.get_signals(), ranked, all_gaps)
            result = self._result(run_id, incident, memory, runs, judged, ranked, synthesis)
            result = result.model_copy(
                update={
                    "gaps": all_gaps,
                    "started_at": started_at,
                    "execution_time_ms": (self._clock() - start) * 1000.0,
                }
            )
            events.emit(EventKind.RUN_COMPLETED, result=result)
        return result

    @staticmethod
    def _progress(events: EventEmitter) -> StepProgress:
        """Progress of the extraction thread, delivered as RUN_PROGRESS events on this loop."""
        loop = asyncio.get_running_loop()

        def deliver(message: str) -> None:
            loop.call_soon_threadsafe(
                functools.partial(events.emit, EventKind.RUN_PROGRESS, message=message)
            )

        return StepProgress(deliver)

    async def _extract_off_loop(
        self, incident: IncidentInput, events: EventEmitter
    ) -> tuple[list[Signal], object]:
        """Extract in a worker thread; cancelling the run stops the thread at its next check
        (`alpha.core.progress`) instead of when the extraction would have finished."""
        progress = self._progress(events)
        with progress_scope(progress):
            try:
                return await asyncio.to_thread(self._signals, incident)
            except asyncio.CancelledError:
                progress.cancel()
                raise

    def _signals(self, incident: IncidentInput) -> tuple[list[Signal], object]:
        """The run's signals and, with a hook, their index (in a worker thread: CPU work)."""
        signals = self._extract(incident)
        return signals, self._index(signals, incident) if self._index is not None else None

    @staticmethod
    def _remember(signals: list[Signal], events: EventEmitter) -> StructuredMemory:
        memory = StructuredMemory()
        for signal in signals:
            memory.add_signal(signal)
            events.emit(EventKind.SIGNAL_DETECTED, signal=signal)
        return memory

    @staticmethod
    def _context(
        agent: BaseAgent,
        incident: IncidentInput,
        memory: StructuredMemory,
        events: EventEmitter,
        index: object,
    ) -> AgentContext:
        def progress(message: str) -> None:
            events.emit(EventKind.AGENT_PROGRESS, agent_name=agent.name, message=message)

        return AgentContext(
            signals=memory.get_signals(), incident=incident, progress=progress, signal_index=index
        )

    async def _synthesise(
        self,
        incident: IncidentInput,
        signals: list[Signal],
        ranked: list[RankedHypothesis],
        gaps: list[str],
    ) -> Synthesis | None:
        if self._post_aggregation is None:
            return None
        deadline = asyncio.timeout(self._executor.default_timeout)
        try:
            async with deadline:
                synthesis = await self._post_aggregation(incident, signals, ranked)
        except Exception as exc:  # its failure is a gap, never the end of the run
            # Only our deadline counts as timing out, not a TimeoutError the step raised.
            if isinstance(exc, TimeoutError) and deadline.expired():
                gaps.append(
                    f"post-aggregation step: no result within {self._executor.default_timeout:g} s"
                )
            else:
                gaps.append(f"post-aggregation step failed: {type(exc).__name__}: {exc}")
            return None
        if not isinstance(synthesis, Synthesis):
            gaps.append(f"post-aggregation step returned {type(synthesis).__name__}, not Synthesis")
            return None
        if synthesis.fallback_reason:
            who = synthesis.agent_name or "post-aggregation step"
            gaps.append(f"{who} used its fallback: {synthesis.fallback_reason}")
        return synthesis

    def _result(
        self,
        run_id: str,
        incident: IncidentInput,
        memory: StructuredMemory,
        runs: list[AgentRun],
        judged: list[JudgedResult],
        ranked: list[RankedHypothesis],
        synthesis: Synthesis | None,
    ) -> ExecutionResult:
        results: list[AgentResult] = [run.result for run in runs if run.result is not None]
        rejections: list[Rejection] = [r for j in judged for r in j.rejections]
        usage = TokenUsage()
        for item in results:
            if item.usage is not None:
                usage = usage.add(item.usage)
        if synthesis is not None and synthesis.usage is not None:
            usage = usage.add(synthesis.usage)
        outcomes = [run.outcome for run in runs]
        failed = sum(1 for o in outcomes if o.status is not AgentStatus.OK)
        reasons = review_reasons(ranked, failed, len(outcomes), self._review_threshold)
        return ExecutionResult(
            execution_id=run_id,
            deployment_id=incident.deployment_id,
            ranked_hypotheses=ranked,
            signals_used=memory.get_signals(),
            agent_results=results,
            agent_outcomes=outcomes,
            rejections=rejections,
            requires_human_review=bool(reasons),
            review_reasons=reasons,
            summary=synthesis.summary if synthesis is not None else "",
            next_actions=list(synthesis.next_actions) if synthesis is not None else [],
            usage=usage,
        )


def review_reasons(
    ranked: Sequence[RankedHypothesis], failed_agents: int, total_agents: int, threshold: float
) -> list[str]:
    """Why a human must review a result (empty when no review is needed).

    Args:
        ranked: The ranked hypotheses, best first.
        failed_agents: Agents that failed or timed out.
        total_agents: Agents that were run.
        threshold: The minimum acceptable top score.
    """
    reasons: list[str] = []
    if not ranked:
        reasons.append("no hypothesis passed the evidence checks")
    elif ranked[0].score < threshold:
        reasons.append(
            f"the top hypothesis scores {ranked[0].score:.2f}, below the review threshold "
            f"{threshold:.2f}"
        )
    if total_agents and failed_agents * 2 > total_agents:
        reasons.append(f"{failed_agents} of {total_agents} agents failed or timed out")
    return reasons


def parse_incident(payload: IncidentInput | Mapping[str, Any]) -> IncidentInput:
    """Validate a payload into an `IncidentInput`.

    Raises:
        InputError: The payload is not a mapping or breaks the contract; the message names
            every offending field (dotted path) and what is wrong with it.
    """
    if isinstance(payload, IncidentInput):
        return payload
    if not isinstance(payload, Mapping):
        raise InputError(f"incident payload must be a JSON object, got {type(payload).__name__}")
    try:
        return IncidentInput.model_validate(dict(payload))
    except ValidationError as exc:
        raise InputError(_describe_validation(exc)) from None


def _describe_validation(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    lines = []
    for error in errors[:_MAX_REPORTED_ERRORS]:
        where = ".".join(str(part) for part in error["loc"]) or "(payload)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (not part of the incident contract)"
        lines.append(f"  {where}: {message}")
    more = len(errors) - _MAX_REPORTED_ERRORS
    if more > 0:
        lines.append(f"  ... and {more} more")
    return f"invalid incident payload ({len(errors)} error(s)):\n" + "\n".join(lines)

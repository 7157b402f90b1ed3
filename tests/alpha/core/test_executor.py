"""The parallel executor: concurrency, timeouts, failures, cancellation.

Every test runs on virtual loop time (looptime): sleeps and deadlines advance the loop's
clock, code and I/O take none of it, so timings are exact whatever the machine's load.
The executor measures with the same clock (`clock=loop.time`).
"""

import asyncio

import pytest

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.executor import ParallelExecutor
from alpha.judge.judge import JudgeLayer
from alpha.schemas import (
    AgentResult,
    AgentStatus,
    EventKind,
    Hypothesis,
    IncidentInput,
    Signal,
    TokenUsage,
)
from tests.alpha.stubs import Hanger, Raiser

INCIDENT = IncidentInput(
    deployment_id="d-1", logs=[], metrics={}, recent_commits=[], config_snapshot={}
)
SIGNALS = [Signal(id="sig_001", type="t", description="d", source="test")]
RAISED = RuntimeError("boom: upstream said no")

pytestmark = pytest.mark.looptime


def _executor(**options: float) -> ParallelExecutor:
    """An executor timing agents on the running loop's (virtual) clock."""
    return ParallelExecutor(clock=asyncio.get_running_loop().time, **options)


def _context(agent: BaseAgent) -> AgentContext:
    return AgentContext(signals=list(SIGNALS), incident=INCIDENT)


class Sleeper(BaseAgent):
    """Sleeps, records when it ran, returns one hypothesis."""

    def __init__(self, name: str, delay: float, timeout: float | None = None) -> None:
        self.name = name
        self.delay = delay
        self.timeout = timeout
        self.span: tuple[float, float] | None = None

    async def run(self, context: AgentContext) -> AgentResult:
        clock = asyncio.get_running_loop().time
        start = clock()
        await asyncio.sleep(self.delay)
        self.span = (start, clock())
        return AgentResult(
            agent_name=self.name,
            hypotheses=[
                Hypothesis(label=self.name, confidence=0.5, supporting_signals=["sig_001"])
            ],
        )


class OwnTimeout(BaseAgent):
    name = "own-timeout"

    async def run(self, context: AgentContext) -> AgentResult:
        raise TimeoutError("HTTP read timed out")


class WrongType(BaseAgent):
    name = "wrong-type"

    async def run(self, context: AgentContext) -> AgentResult:
        return {"agent_name": "wrong-type"}  # type: ignore[return-value]


class Recorder:
    """Collects emitted events as (kind, agent_name)."""

    def __init__(self) -> None:
        self.events: list[tuple[EventKind, str | None]] = []

    def emit(self, kind, *, agent_name=None, **payload):
        self.events.append((kind, agent_name))


async def test_agents_run_concurrently():
    """Two 0.1 s agents run at the same time: their spans overlap and the run takes 0.1 s."""
    a, b = Sleeper("a", 0.1), Sleeper("b", 0.1)
    clock = asyncio.get_running_loop().time
    started = clock()
    runs = await _executor().run([a, b], _context)
    assert clock() - started == pytest.approx(0.1)
    assert a.span and b.span
    assert a.span[0] < b.span[1] and b.span[0] < a.span[1]
    assert runs[0].started_ms < runs[1].finished_ms and runs[1].started_ms < runs[0].finished_ms


async def test_an_overrunning_agent_is_stopped_at_its_deadline():
    """An agent that would sleep an hour is stopped at the 30 s default, in virtual time.

    Unlike a hanging agent, this one finishes on its own, so an executor that ignored the
    deadline fails here by assertion, not by the suite's hang guard.
    """
    slow = Sleeper("slow", 3600.0)
    clock = asyncio.get_running_loop().time
    started = clock()
    runs = await _executor(default_timeout=30.0).run([slow], _context)
    assert runs[0].outcome.status is AgentStatus.TIMED_OUT
    assert runs[0].outcome.execution_time_ms == pytest.approx(30_000)
    assert clock() - started == pytest.approx(30.0)
    assert slow.span is None, "the agent was cancelled before it returned"


async def test_raising_and_hanging_agents_do_not_sink_the_run():
    """A raising and a hanging agent are recorded; the good agent's result is kept."""
    runs = await _executor(default_timeout=0.1).run(
        [Sleeper("good", 0.01), Raiser(RAISED), Hanger()], _context
    )
    good, raiser, hanger = runs
    assert good.outcome.status is AgentStatus.OK and good.result is not None
    assert raiser.outcome.status is AgentStatus.FAILED
    assert raiser.outcome.reason == "RuntimeError: boom: upstream said no"
    assert raiser.result is None
    assert hanger.outcome.status is AgentStatus.TIMED_OUT
    assert hanger.outcome.reason == "no result within 0.1 s"
    assert hanger.outcome.execution_time_ms == pytest.approx(100)
    assert good.outcome.execution_time_ms == pytest.approx(10)


async def test_agent_timeout_overrides_default():
    """An agent's own timeout wins over the executor's default."""
    slow = Sleeper("slow", 0.2, timeout=0.05)
    runs = await _executor(default_timeout=5.0).run([slow], _context)
    assert runs[0].outcome.status is AgentStatus.TIMED_OUT
    assert runs[0].outcome.reason == "no result within 0.05 s"


async def test_agents_own_timeout_error_is_a_failure_not_a_timeout():
    """A TimeoutError raised by the agent itself (not our deadline) counts as failed."""
    runs = await ParallelExecutor(default_timeout=5.0).run([OwnTimeout()], _context)
    assert runs[0].outcome.status is AgentStatus.FAILED
    assert runs[0].outcome.reason == "TimeoutError: HTTP read timed out"


async def test_wrong_return_type_is_a_failure():
    """An agent returning something other than AgentResult is recorded as failed."""
    runs = await ParallelExecutor().run([WrongType()], _context)
    assert runs[0].outcome.status is AgentStatus.FAILED
    assert runs[0].outcome.reason == "returned dict, not AgentResult"


async def test_elapsed_time_is_measured_per_agent():
    """Each outcome carries its own agent's elapsed time."""
    runs = await _executor().run([Sleeper("fast", 0.0), Sleeper("slow", 0.08)], _context)
    fast, slow = (run.outcome.execution_time_ms for run in runs)
    assert (fast, slow) == (pytest.approx(0.0, abs=1e-3), pytest.approx(80))


async def test_cancelling_the_run_propagates_and_cancels_agents():
    """Cancelling the caller raises CancelledError and stops every agent."""
    hanger = Hanger()
    task = asyncio.create_task(ParallelExecutor(default_timeout=10).run([hanger], _context))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
async def test_bad_timeouts_are_refused(bad):
    """A non-positive or NaN timeout raises ValueError naming it, before any agent starts."""
    with pytest.raises(ValueError, match="default_timeout"):
        ParallelExecutor(default_timeout=bad)
    agent = Sleeper("x", 0.0, timeout=bad)
    with pytest.raises(ValueError, match=r"x\.timeout"):
        await ParallelExecutor().run([agent], _context)
    assert agent.span is None


async def test_events_per_agent_in_order():
    """Each agent emits started, accepted hypotheses, then exactly one terminal event."""
    recorder = Recorder()
    judge = JudgeLayer()
    await ParallelExecutor(default_timeout=0.05).run(
        [Sleeper("ok", 0.0), Raiser(RAISED), Hanger()],
        _context,
        events=recorder,
        review=lambda name, result: judge.validate(result, {"sig_001"}, agent_name=name),
    )
    per_agent = {
        name: [kind for kind, agent in recorder.events if agent == name]
        for name in ("ok", "raiser", "hanger")
    }
    assert per_agent == {
        "ok": [EventKind.AGENT_STARTED, EventKind.HYPOTHESIS_PRODUCED, EventKind.AGENT_COMPLETED],
        "raiser": [EventKind.AGENT_STARTED, EventKind.AGENT_FAILED],
        "hanger": [EventKind.AGENT_STARTED, EventKind.AGENT_TIMED_OUT],
    }


async def test_review_sets_accepted_counts():
    """With a review, the outcome counts produced and accepted hypotheses separately."""
    judge = JudgeLayer()
    runs = await ParallelExecutor().run(
        [Sleeper("a", 0.0)],
        _context,
        review=lambda name, result: judge.validate(result, set(), agent_name=name),
    )
    assert runs[0].outcome.hypotheses_produced == 1
    assert runs[0].outcome.hypotheses_accepted == 0
    assert runs[0].judged is not None and len(runs[0].judged.rejections) == 1


class Refined(BaseAgent):
    """Returns an LLM-refined result: one hypothesis of its own, one credited to another."""

    name = "refined"

    async def run(self, context: AgentContext) -> AgentResult:
        await asyncio.sleep(0.25)
        return AgentResult(
            agent_name=self.name,
            hypotheses=[
                Hypothesis(label="mine", confidence=0.5, supporting_signals=["sig_001"]),
                Hypothesis(
                    label="theirs",
                    confidence=0.5,
                    supporting_signals=["sig_404"],
                    contributing_agent="other",
                ),
            ],
            fallback_reason="LLM m gave no answer within 45 s",
            usage=TokenUsage(prompt_tokens=10, completion_tokens=5, calls=1),
            model="m",
        )


async def test_a_result_is_stamped_and_its_outcome_carries_the_llm_facts():
    """Hypotheses without an agent get the runner's name, the result its virtual run time,
    and the outcome its fallback reason, token usage and model; hypothesis events carry the
    accepted hypotheses only."""
    emitted: list[Hypothesis] = []

    class Keeping(Recorder):
        def emit(self, kind, *, agent_name=None, **payload):
            super().emit(kind, agent_name=agent_name)
            if kind is EventKind.HYPOTHESIS_PRODUCED:
                emitted.append(payload["hypothesis"])
            if kind is EventKind.AGENT_COMPLETED:
                assert payload["outcome"].agent_name == "refined"

    recorder = Keeping()
    judge = JudgeLayer()
    (run,) = await _executor().run(
        [Refined()],
        _context,
        events=recorder,
        review=lambda name, result: judge.validate(result, {"sig_001"}, agent_name=name),
    )
    assert run.result is not None
    assert [h.contributing_agent for h in run.result.hypotheses] == ["refined", "other"]
    assert run.result.execution_time_ms == pytest.approx(250)
    outcome = run.outcome
    assert outcome.fallback_reason == "LLM m gave no answer within 45 s"
    assert outcome.usage == TokenUsage(prompt_tokens=10, completion_tokens=5, calls=1)
    assert outcome.model == "m"
    assert (outcome.hypotheses_produced, outcome.hypotheses_accepted) == (2, 1)
    assert [h.label for h in emitted] == ["mine"]
    assert run.started_ms == pytest.approx(0) and run.finished_ms == pytest.approx(250)


async def test_a_failed_agent_reports_no_hypotheses_and_no_llm_facts():
    """A raising agent's outcome counts no hypotheses and claims no model, usage or fallback."""
    (run,) = await _executor().run([Raiser(RAISED)], _context)
    outcome = run.outcome
    assert (outcome.hypotheses_produced, outcome.hypotheses_accepted) == (0, 0)
    assert (outcome.fallback_reason, outcome.usage, outcome.model) == (None, None, None)


async def test_failure_reasons_are_clipped_to_500_characters():
    """A huge exception message is cut to 500 characters ending in an ellipsis; an empty one
    is named by its type alone; exactly 500 characters are kept whole."""
    runs = await _executor().run(
        [
            Raiser(RuntimeError("x" * 10_000)),
            Raiser(KeyError()),
            Raiser(RuntimeError("y" * (500 - len("RuntimeError: ")))),
        ],
        _context,
    )
    huge, empty, exact = (run.outcome.reason for run in runs)
    assert huge == "RuntimeError: " + "x" * (499 - len("RuntimeError: ")) + "…"
    assert len(huge) == 500
    assert empty == "KeyError"
    assert exact == "RuntimeError: " + "y" * (500 - len("RuntimeError: "))


async def test_execute_returns_the_results_of_the_agents_that_succeeded(caplog):
    """`execute` (the original design's API) keeps successful results in order and logs the
    others with their status and reason."""
    results = await _executor(default_timeout=1.0).execute(
        [Sleeper("a", 0.0), Raiser(RAISED), Sleeper("b", 0.0)],
        AgentContext(signals=list(SIGNALS), incident=INCIDENT),
    )
    assert [r.agent_name for r in results] == ["a", "b"]
    assert "agent raiser failed: RuntimeError: boom: upstream said no" in caplog.text


class Echo(BaseAgent):
    """Cites every signal of the context it was given, after a short sleep."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def run(self, context: AgentContext) -> AgentResult:
        await asyncio.sleep(0.5)
        cited = [signal.id for signal in context.signals]
        return AgentResult(
            agent_name=self.name,
            hypotheses=[Hypothesis(label=self.name, confidence=0.5, supporting_signals=cited)],
        )


async def test_each_agent_gets_its_own_context_and_times_count_from_the_run():
    """`context_for` builds each agent's context; times are measured from the run's start,
    however late on the loop's clock it begins."""
    await asyncio.sleep(100.0)  # the loop's clock is far from zero when the run starts

    def context_for(agent: BaseAgent) -> AgentContext:
        own = Signal(id=f"sig_{agent.name}", type="t", description="d", source="test")
        return AgentContext(signals=[own], incident=INCIDENT)

    runs = await _executor().run([Echo("a"), Echo("b")], context_for)
    assert [run.result.hypotheses[0].supporting_signals for run in runs] == [["sig_a"], ["sig_b"]]
    assert [(run.started_ms, run.finished_ms) for run in runs] == [
        (pytest.approx(0.0), pytest.approx(500.0)),
        (pytest.approx(0.0), pytest.approx(500.0)),
    ]
    assert runs[0].outcome.execution_time_ms == pytest.approx(500.0)

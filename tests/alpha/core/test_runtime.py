"""AlphaRuntime end to end: pipeline, failures, events, review rule, default signals.

Async tests run on virtual loop time (looptime): agent deadlines and sleeps advance the
loop's clock while code takes none of it, so a 50 ms deadline means the same on a loaded
machine as on an idle one.
"""

import asyncio
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.errors import InputError
from alpha.core.runtime import AlphaRuntime, review_reasons
from alpha.core.signals import basic_signals
from alpha.schemas import (
    AgentEvent,
    AgentResult,
    AgentStatus,
    EventKind,
    Hypothesis,
    IncidentInput,
    RankedHypothesis,
    Signal,
    Synthesis,
    TokenUsage,
)
from tests.alpha.stubs import Hanger, Raiser

PAYLOAD = {
    "deployment_id": "deploy-42",
    "logs": [
        "2026-11-20T14:03:11Z ERROR db timeout after 3000 ms id=ab12cd34ef",
        "2026-11-20T14:03:12Z ERROR db timeout after 2999 ms id=ffee0011aa",
        "2026-11-20T14:03:13Z INFO request ok",
    ],
    "metrics": {"latency_p99_ms": {"baseline": [120, 118], "current": [480, 510], "unit": "ms"}},
    "recent_commits": [{"sha": "9f3c2ab", "message": "Lower pool size", "files": ["cfg.yaml"]}],
    "config_snapshot": {"database": {"pool_size": 5}},
    "previous_config_snapshot": {"database": {"pool_size": 50}},
}
RAISED = ValueError("model returned garbage")

pytestmark = pytest.mark.looptime


class Scripted(BaseAgent):
    """Returns the given hypotheses after an optional delay, reporting progress."""

    def __init__(
        self,
        name: str,
        *hypotheses: Hypothesis,
        delay: float = 0.0,
        usage: TokenUsage | None = None,
        claim: str | None = None,
    ) -> None:
        self.name = name
        self.hypotheses = list(hypotheses)
        self.delay = delay
        self.usage = usage
        self.claim = claim

    async def run(self, context: AgentContext) -> AgentResult:
        context.progress(f"{len(context.signals)} signals")
        await asyncio.sleep(self.delay)
        return AgentResult(
            agent_name=self.claim or self.name, hypotheses=self.hypotheses, usage=self.usage
        )


def _hyp(label: str, confidence: float, *signals: str, **extra: object) -> Hypothesis:
    return Hypothesis.model_validate(
        {
            "label": label,
            "confidence": confidence,
            "supporting_signals": list(signals) or ["sig_001"],
            **extra,
        }
    )


async def test_results_sorted_by_score_with_agreement():
    """Hypotheses come back ranked by score; agreement lifts a shared cause to the top."""
    runtime = AlphaRuntime()
    runtime.register(Scripted("logs", _hyp("Pool too small", 0.6), _hyp("Slow disk", 0.65)))
    runtime.register(Scripted("config", _hyp("pool too small", 0.5)))
    runtime.register(Scripted("metrics", _hyp("Traffic spike", 0.3)))
    result = await runtime.execute(PAYLOAD)
    assert [h.label for h in result.ranked_hypotheses] == [
        "Pool too small",
        "Slow disk",
        "Traffic spike",
    ]
    assert [h.score for h in result.ranked_hypotheses] == pytest.approx([0.7, 0.65, 0.3])
    assert [h.rank for h in result.ranked_hypotheses] == [1, 2, 3]
    assert result.ranked_hypotheses[0].contributing_agents == ["logs", "config"]
    assert not result.requires_human_review


async def test_failing_and_hanging_agents_do_not_sink_the_run():
    """A raising and a hanging agent are reported; the good agent's answer is still ranked."""
    runtime = AlphaRuntime(agent_timeout=0.1)
    for agent in (Scripted("good", _hyp("Cause", 0.9)), Raiser(RAISED), Hanger()):
        runtime.register(agent)
    result = await runtime.execute(PAYLOAD)
    assert [h.label for h in result.ranked_hypotheses] == ["Cause"]
    outcomes = {o.agent_name: o for o in result.agent_outcomes}
    assert outcomes["good"].status is AgentStatus.OK
    assert outcomes["raiser"].status is AgentStatus.FAILED
    assert outcomes["raiser"].reason == "ValueError: model returned garbage"
    assert outcomes["hanger"].status is AgentStatus.TIMED_OUT
    assert [r.agent_name for r in result.agent_results] == ["good"]
    assert result.requires_human_review
    assert result.review_reasons == ["2 of 3 agents failed or timed out"]


async def test_judge_drops_unsupported_hypotheses_and_records_why():
    """Citations of unknown signals and impersonated names are rejected and reported."""
    runtime = AlphaRuntime()
    runtime.register(Scripted("a", _hyp("Real", 0.8), _hyp("Invented", 0.9, "sig_999")))
    runtime.register(Scripted("b", _hyp("Spoof", 0.9), claim="a"))
    result = await runtime.execute(PAYLOAD)
    assert [h.label for h in result.ranked_hypotheses] == ["Real"]
    reasons = {(r.agent_name, r.label): r.reason for r in result.rejections}
    assert "unknown signal(s) 'sig_999'" in reasons[("a", "Invented")]
    assert "does not match the agent that ran" in reasons[("b", None)]
    outcomes = {o.agent_name: o for o in result.agent_outcomes}
    assert (outcomes["a"].hypotheses_produced, outcomes["a"].hypotheses_accepted) == (2, 1)


async def test_events_order_and_kinds():
    """Run events start with run_started and signals, end with run_completed; per agent order."""
    seen: list[AgentEvent] = []
    runtime = AlphaRuntime(agent_timeout=0.05)
    runtime.register(Scripted("a", _hyp("X", 0.7)))
    runtime.register(Raiser(RAISED))
    runtime.register(Hanger())
    result = await runtime.execute(PAYLOAD, subscribers=[seen.append], execution_id="run-7")
    kinds = [e.kind for e in seen]
    n_signals = len(result.signals_used)
    assert n_signals > 0
    assert kinds[0] is EventKind.RUN_STARTED
    assert kinds[1 : 1 + n_signals] == [EventKind.SIGNAL_DETECTED] * n_signals
    assert [e.signal.id for e in seen[1 : 1 + n_signals]] == [s.id for s in result.signals_used]
    assert kinds[-1] is EventKind.RUN_COMPLETED and kinds.count(EventKind.RUN_COMPLETED) == 1
    assert seen[-1].result == result
    by_agent = {
        name: [e.kind for e in seen if e.agent_name == name] for name in ("a", "raiser", "hanger")
    }
    assert by_agent["a"] == [
        EventKind.AGENT_STARTED,
        EventKind.AGENT_PROGRESS,
        EventKind.HYPOTHESIS_PRODUCED,
        EventKind.AGENT_COMPLETED,
    ]
    assert by_agent["raiser"] == [EventKind.AGENT_STARTED, EventKind.AGENT_FAILED]
    assert by_agent["hanger"] == [EventKind.AGENT_STARTED, EventKind.AGENT_TIMED_OUT]
    assert {e.execution_id for e in seen} == {"run-7"} and result.execution_id == "run-7"
    elapsed = [e.elapsed_ms for e in seen]
    assert elapsed == sorted(elapsed)


async def test_slow_subscriber_does_not_delay_agents_but_is_fully_served():
    """Agents finish while a slow subscriber still lags behind; execute waits for delivery."""
    slow_seen: list[AgentEvent] = []
    fast_seen: list[AgentEvent] = []
    lag_at_finish: dict[str, tuple[int, int]] = {}

    async def slow(event: AgentEvent) -> None:
        await asyncio.sleep(0.03)
        slow_seen.append(event)

    class Watcher(BaseAgent):
        """Notes, as it returns, how many events the slow and the fast subscriber have."""

        def __init__(self, name: str) -> None:
            self.name = name

        async def run(self, context: AgentContext) -> AgentResult:
            context.progress("working")
            await asyncio.sleep(0)
            lag_at_finish[self.name] = (len(slow_seen), len(fast_seen))
            return AgentResult(agent_name=self.name, hypotheses=[_hyp(self.name, 0.7)])

    runtime = AlphaRuntime()
    runtime.register(Watcher("a"))
    runtime.register(Watcher("b"))
    await runtime.execute(PAYLOAD, subscribers=[slow, fast_seen.append])
    for slow_count, fast_count in lag_at_finish.values():
        # run_started, 4 signals, 2 starts and progress were queued before any agent returned
        assert fast_count >= 7
        assert slow_count < fast_count
    assert [e.kind for e in slow_seen] == [e.kind for e in fast_seen]
    assert slow_seen[-1].kind is EventKind.RUN_COMPLETED


async def test_raising_subscriber_does_not_sink_the_run():
    """A subscriber that raises on every event leaves the result and other subscribers intact."""

    def broken(event: AgentEvent) -> None:
        raise RuntimeError("no terminal")

    seen: list[AgentEvent] = []
    runtime = AlphaRuntime()
    runtime.subscribe(broken)
    runtime.register(Scripted("a", _hyp("X", 0.7)))
    result = await runtime.execute(PAYLOAD, subscribers=[seen.append])
    assert result.ranked_hypotheses[0].label == "X"
    assert seen[-1].kind is EventKind.RUN_COMPLETED


async def test_runtime_and_run_subscribers_both_receive():
    """Subscribers given to subscribe() get every run; per-run ones only their run."""
    always: list[AgentEvent] = []
    once: list[AgentEvent] = []
    runtime = AlphaRuntime()
    runtime.subscribe(always.append)
    await runtime.execute(PAYLOAD, subscribers=[once.append])
    await runtime.execute(PAYLOAD)
    assert sum(e.kind is EventKind.RUN_COMPLETED for e in always) == 2
    assert sum(e.kind is EventKind.RUN_COMPLETED for e in once) == 1


async def test_runs_without_agents_or_subscribers_need_review():
    """With nothing registered the run still completes, flagged for review."""
    result = await AlphaRuntime().execute(PAYLOAD)
    assert result.ranked_hypotheses == []
    assert result.review_reasons == ["no hypothesis passed the evidence checks"]


async def test_low_top_score_requires_review():
    """A top score under the threshold is flagged with both numbers."""
    runtime = AlphaRuntime(review_threshold=0.6)
    runtime.register(Scripted("a", _hyp("Weak", 0.4)))
    result = await runtime.execute(PAYLOAD)
    assert result.requires_human_review
    assert result.review_reasons == [
        "the top hypothesis scores 0.40, below the review threshold 0.60"
    ]


def test_review_rule_boundaries():
    """Exactly half the agents failing, or a score equal to the threshold, needs no review."""
    top = [RankedHypothesis(label="x", confidence=0.5, score=0.5, rank=1)]
    assert review_reasons(top, failed_agents=2, total_agents=4, threshold=0.5) == []
    assert review_reasons(top, failed_agents=3, total_agents=4, threshold=0.5) == [
        "3 of 4 agents failed or timed out"
    ]


async def test_post_aggregation_fills_summary_and_usage():
    """The post-aggregation step sees the ranking and fills summary, actions and usage."""
    received: list[list[RankedHypothesis]] = []

    async def synthesise(incident, signals, ranked):
        received.append(ranked)
        return Synthesis(
            summary=f"{incident.deployment_id}: {ranked[0].label}",
            next_actions=["roll back"],
            usage=TokenUsage(prompt_tokens=10, completion_tokens=5, calls=1),
        )

    runtime = AlphaRuntime(post_aggregation=synthesise)
    runtime.register(
        Scripted("a", _hyp("X", 0.7), usage=TokenUsage(prompt_tokens=100, calls=1, cost_usd=0.01))
    )
    result = await runtime.execute(PAYLOAD, gaps=["Sentry unreachable"])
    assert received[0][0].label == "X"
    assert result.summary == "deploy-42: X" and result.next_actions == ["roll back"]
    assert result.usage == TokenUsage(
        prompt_tokens=110, completion_tokens=5, calls=2, cost_usd=0.01
    )
    assert result.gaps == ["Sentry unreachable"]


async def test_post_aggregation_failure_is_a_gap():
    """A raising or hanging post-aggregation step is recorded in gaps; the ranking stands."""

    async def broken(incident, signals, ranked):
        raise ConnectionError("LLM unreachable")

    async def hangs(incident, signals, ranked):
        await asyncio.Event().wait()

    for step, expected in (
        (broken, "post-aggregation step failed: ConnectionError: LLM unreachable"),
        (hangs, "post-aggregation step: no result within 0.05 s"),
    ):
        runtime = AlphaRuntime(agent_timeout=0.05, post_aggregation=step)
        runtime.register(Scripted("a", _hyp("X", 0.7)))
        result = await runtime.execute(PAYLOAD, gaps=["given"])
        assert result.gaps == ["given", expected]
        assert result.ranked_hypotheses[0].label == "X" and result.summary == ""


async def test_bad_payload_raises_input_error_before_agents_run():
    """An invalid payload raises InputError naming the field and starts no agent."""
    seen: list[AgentEvent] = []
    runtime = AlphaRuntime()
    runtime.register(Scripted("a", _hyp("X", 0.7)))
    with pytest.raises(InputError, match="metrics"):
        await runtime.execute({**PAYLOAD, "metrics": "lots"}, subscribers=[seen.append])
    assert seen == []


async def test_cancelling_execute_propagates():
    """Cancelling execute stops the agents and raises CancelledError to the caller."""
    runtime = AlphaRuntime(agent_timeout=10)
    runtime.register(Hanger())
    task = asyncio.create_task(runtime.execute(PAYLOAD, subscribers=[lambda e: None]))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_result_records_times_and_signals():
    """The result carries the injected start time, elapsed time and the run's signals."""
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    runtime = AlphaRuntime(now=lambda: moment, clock=asyncio.get_running_loop().time)
    runtime.register(Scripted("a", _hyp("X", 0.7), delay=0.02))
    result = await runtime.execute(IncidentInput.model_validate(PAYLOAD))
    assert result.started_at == moment
    assert result.execution_time_ms == pytest.approx(20)
    assert result.deployment_id == "deploy-42"
    assert [s.id for s in result.signals_used] == [f"sig_{i:03d}" for i in range(1, 5)]


def test_basic_signals_cover_logs_metrics_config_commits():
    """The default extractor groups error lines and emits metric, config and commit signals."""
    signals = basic_signals(IncidentInput.model_validate(PAYLOAD))
    assert [s.type for s in signals] == ["log_errors", "metric", "config_change", "commit"]
    assert [s.id for s in signals] == ["sig_001", "sig_002", "sig_003", "sig_004"]
    assert signals[0].value["count"] == 2
    assert signals[1].value["baseline"] == 119 and signals[1].value["current"] == 495
    assert signals[1].severity == "high"
    assert signals[2].value == {
        "key": "database.pool_size",
        "old": 50,
        "new": 5,
        "change": "modified",
    }
    assert signals[3].value["sha"] == "9f3c2ab" and signals[3].value["files"] == ["cfg.yaml"]


@given(
    logs=st.lists(st.text(max_size=40) | st.just("ERROR failed 42 times"), max_size=30),
    series=st.lists(st.floats(0, 1e6), max_size=6),
)
def test_basic_signals_ids_are_sequential_and_stable(logs, series):
    """Any payload gives ids sig_001..sig_N in order."""
    incident = IncidentInput(
        deployment_id="d",
        logs=logs,
        metrics={"m": series},
        recent_commits=[],
        config_snapshot={"a": {"b": 1}},
        previous_config_snapshot={"a": {"b": 2}, "c": 3},
    )
    signals = basic_signals(incident)
    assert [s.id for s in signals] == [f"sig_{i:03d}" for i in range(1, len(signals) + 1)]


def test_basic_signals_error_lines_are_grouped_by_template():
    """Error lines differing only in numbers and ids group; 'error_rate=' info lines don't count."""
    incident = IncidentInput(
        deployment_id="d",
        logs=[
            "2026-11-20T14:03:11Z ERROR db timeout after 3000 ms (req 9f3c2ab71d)",
            "2026-11-20T14:03:12Z ERROR db timeout after 2999 ms (req 0a1b2c3d4e)",
            "ValueError: invalid literal 'abc'",
            "INFO error_rate=0.1 within budget",
            "INFO all good",
        ],
        metrics={},
        recent_commits=[],
        config_snapshot={},
    )
    signals = basic_signals(incident)
    assert [(s.value["template"], s.value["count"]) for s in signals] == [
        ("ERROR db timeout after <N> ms (req <HEX>)", 2),
        ("ValueError: invalid literal <STR>", 1),
    ]


async def test_extraction_runs_off_the_event_loop():
    """A slow extractor runs in a worker thread, so the event loop keeps serving other tasks."""
    released = threading.Event()

    def extractor(incident: IncidentInput) -> list[Signal]:
        # Only a task on the event loop can release this; a blocked loop would time out.
        return basic_signals(incident) if released.wait(timeout=5) else []

    async def release() -> None:
        await asyncio.sleep(0.01)
        released.set()

    runtime = AlphaRuntime(signal_extractor=extractor)
    async with asyncio.TaskGroup() as group:
        group.create_task(release())
        result = await runtime.execute(PAYLOAD)
    assert len(result.signals_used) == 4


async def test_custom_extractor_with_duplicate_ids_is_refused():
    """An extractor emitting one id twice fails loudly instead of shadowing evidence."""

    def extractor(incident: IncidentInput) -> list[Signal]:
        signal = Signal(id="sig_001", type="t", description="d", source="s")
        return [signal, signal]

    with pytest.raises(ValueError, match="'sig_001' is already in memory"):
        await AlphaRuntime(signal_extractor=extractor).execute(PAYLOAD)


class IndexReader(BaseAgent):
    """Records the signal index and the signals its context carries."""

    def __init__(self, name: str, seen: list[tuple[object, list[str]]]) -> None:
        self.name = name
        self.seen = seen

    async def run(self, context: AgentContext) -> AgentResult:
        self.seen.append((context.signal_index, [s.id for s in context.signals]))
        return AgentResult(agent_name=self.name)


async def test_signal_index_is_built_once_per_run_and_shared_by_every_agent():
    """The signal_index hook runs once per run on the extracted signals, and every agent's
    context carries that one object."""
    calls: list[list[str]] = []

    def index(signals: list[Signal], incident: IncidentInput) -> object:
        calls.append([s.id for s in signals])
        return {"deployment": incident.deployment_id, "ids": [s.id for s in signals]}

    seen: list[tuple[object, list[str]]] = []
    runtime = AlphaRuntime(signal_index=index)
    for name in ("A", "B", "C"):
        runtime.register(IndexReader(name, seen))
    result = await runtime.execute(PAYLOAD)
    ids = [s.id for s in result.signals_used]
    assert calls == [ids]
    shared = seen[0][0]
    assert shared == {"deployment": "deploy-42", "ids": ids}
    assert len(seen) == 3 and all(got is shared and got_ids == ids for got, got_ids in seen)
    await runtime.execute(PAYLOAD)
    assert len(calls) == 2 and seen[3][0] is not shared


async def test_without_a_signal_index_agents_see_none():
    """The runtime builds no index unless given a hook."""
    seen: list[tuple[object, list[str]]] = []
    runtime = AlphaRuntime()
    runtime.register(IndexReader("A", seen))
    await runtime.execute(PAYLOAD)
    assert seen[0][0] is None and seen[0][1]

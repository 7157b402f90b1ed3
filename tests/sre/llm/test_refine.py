"""`refine`: the model refines an agent's candidates, or the agent falls back with a reason."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpha.agents.base import AgentContext
from alpha.core.errors import LLMProviderError, LLMRateLimitError, LLMTimeoutError
from alpha.llm import LLMClient, ScriptedLLMClient
from alpha.llm.fake import ScriptItem
from alpha.schemas import Hypothesis, Signal, TokenUsage
from sre.agents import CommitAgent, ConfigAgent, LogAgent
from sre.extractors.signal_extractor import extract_signals
from sre.llm.answer import LLMAnswer
from sre.llm.breaker import BreakerBoard
from sre.llm.refine import LLMMode, merge_answer, refine
from tests.sre.llm.canaries import SHA_CONFIG, canary_incident

INCIDENT = canary_incident()
SIGNALS = extract_signals(INCIDENT)
USAGE = TokenUsage(prompt_tokens=900, completion_tokens=100, calls=1)


def _answer(*hyps: dict[str, Any]) -> str:
    return json.dumps({"hypotheses": list(hyps)})


def _hyp(signal_ids: list[str], **extra: Any) -> dict[str, Any]:
    base = {
        "label": "Pool size lowered from 50 to 5",
        "description": "Timeouts waiting for a pool connection started with the config commit.",
        "category": "config_change",
        "suspects": ["database.pool_size", SHA_CONFIG],
        "confidence": 0.9,
        "severity": "high",
        "supporting_signals": signal_ids,
    }
    base.update(extra)
    return base


class Factory:
    """Hands out scripted clients, one per call, and remembers them."""

    def __init__(self, *scripts: list[ScriptItem], delay: float = 0.0) -> None:
        self.scripts = list(scripts)
        self.delay = delay
        self.clients: list[ScriptedLLMClient] = []

    def __call__(self, model: str) -> LLMClient:
        client = ScriptedLLMClient(
            self.scripts.pop(0), delay=self.delay, usage_per_call=USAGE, model=model
        )
        self.clients.append(client)
        return client

    @property
    def calls(self) -> int:
        return sum(len(c.calls) for c in self.clients)


def _context(progress: list[str] | None = None) -> AgentContext:
    sink = progress.append if progress is not None else (lambda _m: None)
    return AgentContext(signals=SIGNALS, incident=INCIDENT, progress=sink)


def _ids(kind: str) -> list[str]:
    return [s.id for s in SIGNALS if s.type == kind]


def _mode(factory: Factory, **kwargs: Any) -> LLMMode:
    return LLMMode(factory, provider="http://fake/v1", **kwargs)


async def test_model_answer_is_used_and_unrestated_candidates_are_kept() -> None:
    """Model hypotheses come first; rule findings it did not restate stay; usage is recorded."""
    agent = ConfigAgent()
    candidates = agent.candidates(SIGNALS, INCIDENT)
    assert candidates
    extra = _hyp(_ids("metric_anomaly")[:1], label="Latency", category="traffic_surge", suspects=[])
    factory = Factory([_answer(_hyp(_ids("config_change")[:2]), extra)])
    progress: list[str] = []
    result = await refine(agent, _context(progress), candidates, _mode(factory).session())
    assert result.fallback_reason is None
    assert [h.label for h in result.hypotheses[:2]] == ["Pool size lowered from 50 to 5", "Latency"]
    pool_candidates = [c for c in candidates if "database.pool_size" in c.suspects]
    assert pool_candidates and all(c not in result.hypotheses for c in pool_candidates)
    assert len(result.hypotheses) == 2 + len(candidates) - len(pool_candidates)
    assert result.usage == USAGE and result.model == agent.model
    assert f"asking {agent.model}" in progress


async def test_model_per_agent_override_then_global_then_own() -> None:
    """An agent's override wins over the global model, which wins over the agent's own."""
    mode = _mode(Factory(), models={"LogAgent": "local/log"}, default_model="local/all")
    assert mode.model_for(LogAgent()) == "local/log"
    assert mode.model_for(CommitAgent()) == "local/all"
    assert _mode(Factory()).model_for(CommitAgent()) == CommitAgent.model


async def test_unknown_signal_citation_falls_back_with_the_ids() -> None:
    """An answer citing a signal that does not exist is discarded whole, with the id named."""
    agent = ConfigAgent()
    candidates = agent.candidates(SIGNALS, INCIDENT)
    factory = Factory([_answer(_hyp([SIGNALS[0].id]), _hyp(["sig_999"]))])
    result = await refine(agent, _context(), candidates, _mode(factory).session())
    assert result.fallback_reason is not None
    assert "answer cited unknown signals: sig_999" in result.fallback_reason
    assert result.hypotheses == candidates
    assert result.usage == USAGE


@pytest.mark.parametrize(
    ("script", "reason", "calls"),
    [
        (["not json", '{"hypotheses": [{"label": "x"'], "unusable after 1 repair", 2),
        ([LLMTimeoutError("no answer within 30.0s")], "timed out", 1),
        (
            [LLMRateLimitError("429", retry_after=120.0)],
            "rate-limited (HTTP 429, asked to wait 120 s)",
            1,
        ),
        ([LLMProviderError("HTTP 402", status=402)], "LLM out of credit (HTTP 402)", 1),
        ([LLMProviderError("HTTP 401", status=401)], "LLM key refused (HTTP 401)", 1),
        ([LLMProviderError("HTTP 500", status=500)], "provider error (HTTP 500)", 1),
        ([_answer({"label": "x", "confidence": 7})] * 2, "unusable after 1 repair", 2),
        ([_answer(_hyp(["sig_001"], extra_key=1))] * 2, "Extra inputs are not permitted", 2),
    ],
)
async def test_each_failure_falls_back_with_its_reason(
    script: list[ScriptItem], reason: str, calls: int
) -> None:
    """Timeouts, 429, 402, 401, 5xx and invalid JSON all return the candidates with a reason."""
    agent = LogAgent()
    candidates = agent.candidates(SIGNALS, INCIDENT)
    factory = Factory(script)
    result = await refine(agent, _context(), candidates, _mode(factory).session())
    assert result.fallback_reason is not None and reason in result.fallback_reason
    assert result.fallback_reason.endswith("deterministic analysis used")
    assert result.hypotheses == candidates
    assert factory.calls == calls


async def test_one_repair_call_can_rescue_an_answer() -> None:
    """Invalid JSON followed by a valid answer is used (two calls)."""
    factory = Factory(['```json\n{"hypotheses": [', _answer(_hyp(_ids("config_change")[:1]))])
    result = await refine(ConfigAgent(), _context(), [], _mode(factory).session())
    assert result.fallback_reason is None and len(result.hypotheses) == 1
    assert factory.calls == 2
    assert "Problem:" in factory.clients[0].calls[1].user


async def test_deadline_bounds_the_whole_llm_exchange() -> None:
    """A model slower than the session deadline gives a fallback, not a hung agent."""
    factory = Factory([_answer()], delay=5.0)
    session = _mode(factory).session(deadline=0.05)
    result = await refine(LogAgent(), _context(), [], session)
    assert result.fallback_reason is not None
    assert "gave no answer within 0.05 s" in result.fallback_reason


async def test_token_cap_stops_calls_once_reached() -> None:
    """Once spent tokens leave less than a call's worst case, later agents fall back uncalled."""
    probe = _mode(Factory([_answer()])).session()
    await refine(LogAgent(), _context(), [], probe)
    need = probe.reservation(probe.prompts[0][1])
    factory = Factory([_answer()], [_answer()])
    # The first call spends USAGE (1,000 tokens); what is left is then less than `need`.
    session = _mode(factory, token_cap=need + 500).session()
    first = await refine(LogAgent(), _context(), [], session)
    assert first.fallback_reason is None
    second = await refine(CommitAgent(), _context(), [], session)
    assert second.fallback_reason is not None and "token cap" in second.fallback_reason
    assert factory.calls == 1
    assert session.cap.used <= session.cap.limit
    assert session.cap.refused == ["CommitAgent"]


async def test_breaker_stops_calling_a_failing_provider() -> None:
    """After N provider failures further agents fall back at once, across investigations."""
    boom = LLMProviderError("HTTP 503", status=503)
    factory = Factory([boom], [boom], [_answer()])
    mode = _mode(factory, breakers=BreakerBoard(failures=2, cooldown=60))
    for _ in range(2):
        result = await refine(LogAgent(), _context(), [], mode.session())
        assert result.fallback_reason and "HTTP 503" in result.fallback_reason
    later = await refine(LogAgent(), _context(), [], mode.session())
    assert later.fallback_reason is not None and "circuit open" in later.fallback_reason
    assert factory.calls == 2


async def test_unexpected_errors_propagate() -> None:
    """A bug (not an LLMError) is not turned into a fallback."""
    factory = Factory([RuntimeError("bug in client")])
    with pytest.raises(RuntimeError, match="bug in client"):
        await refine(LogAgent(), _context(), [], _mode(factory).session())


async def test_cancellation_propagates_and_releases_the_reservation() -> None:
    """Cancelling an agent mid-call propagates CancelledError and frees its tokens."""
    factory = Factory([_answer()], delay=10.0)
    session = _mode(factory).session()
    task = asyncio.create_task(refine(LogAgent(), _context(), [], session))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.cap.used == 0  # scripted client never answered: nothing was spent


def test_merge_keeps_candidates_the_model_did_not_restate() -> None:
    """Merging is pure: restated candidates (same category, shared suspect) are replaced."""
    cand_a = Hypothesis(
        label="a", confidence=0.5, category="config_change", suspects=["database.pool_size"]
    )
    cand_b = Hypothesis(label="b", confidence=0.4, category="dependency_failure", suspects=["x"])
    answer = LLMAnswer.model_validate(json.loads(_answer(_hyp(["sig_001"]))))
    merged = merge_answer(answer, [cand_a, cand_b])
    assert [h.label for h in merged] == ["Pool size lowered from 50 to 5", "b"]
    assert merge_answer(answer, [cand_a, cand_b]) == merged


def test_signals_fixture_is_rich_enough() -> None:
    """The canary incident yields config changes and metric anomalies to cite."""
    kinds = {s.type for s in SIGNALS}
    assert {"config_change", "metric_anomaly"} <= kinds
    assert all(isinstance(s, Signal) for s in SIGNALS)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_any_answer_text_gives_a_result_never_an_exception(first: str, second: str) -> None:
    """Whatever text the model returns (twice), refine returns a result or a fallback."""
    agent = LogAgent()
    candidates = agent.candidates(SIGNALS, INCIDENT)
    result = asyncio.run(
        refine(agent, _context(), candidates, _mode(Factory([first, second])).session())
    )
    if result.fallback_reason is None:
        known = {s.id for s in SIGNALS}
        assert all(set(h.supporting_signals) <= known for h in result.hypotheses)
    else:
        assert result.hypotheses == candidates


async def test_design_form_agent_with_one_client_refines_through_it() -> None:
    """`ConfigAgent(llm=client)`, the original design's form, asks that client and records the
    usage of its own call, without closing the client it was given."""
    ids = [s.id for s in SIGNALS if s.type == "config_change"][:1]
    client = ScriptedLLMClient([_answer(_hyp(ids))], usage_per_call=USAGE, model="given/model")
    agent = ConfigAgent(llm=client)
    assert agent.llm is client
    result = await agent.run(_context())
    assert len(client.calls) == 1
    assert result.fallback_reason is None and result.model == "given/model"
    assert result.usage == USAGE
    assert result.hypotheses[0].label == "Pool size lowered from 50 to 5"


async def test_design_form_agent_falls_back_when_its_client_fails() -> None:
    """A failing given client leaves the agent's rule findings, with the reason recorded."""
    client = ScriptedLLMClient([LLMProviderError("HTTP 503", status=503)], model="given/model")
    result = await ConfigAgent(llm=client).run(_context())
    rules = ConfigAgent().candidates(SIGNALS, INCIDENT)
    assert result.fallback_reason and "503" in result.fallback_reason
    assert [h.label for h in result.hypotheses] == [
        h.label for h in rules[: len(result.hypotheses)]
    ]


def test_merge_without_suspects_restates_by_category_alone() -> None:
    """When neither side names a suspect, the same category is a restatement (the candidate
    is replaced and its rules credited); a suspect on one side only is not one."""
    bare = Hypothesis(label="c", confidence=0.5, category="config_change", rules=["config.r"])
    named = Hypothesis(label="d", confidence=0.5, category="config_change", suspects=["cache.ttl"])
    answer = LLMAnswer.model_validate(json.loads(_answer(_hyp(["sig_001"], suspects=[]))))
    merged = merge_answer(answer, [bare, named])
    assert [h.label for h in merged] == ["Pool size lowered from 50 to 5", "d"]
    assert merged[0].rules == ["llm.refine", "config.r"]

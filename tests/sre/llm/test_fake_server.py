"""The LLM mode through the real OpenAI client against a loopback fake endpoint.

The tests run on virtual loop time (looptime): a 0.2 s request timeout expires only when the
fake endpoint really makes the client wait that long, however loaded the machine is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from alpha.agents.base import AgentContext
from alpha.llm.settings import LLMSettings
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent
from sre.extractors.signal_extractor import extract_signals
from sre.llm.refine import LLMMode, refine
from sre.llm.settings import ReasoningSettings
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply
from tests.sre.llm.canaries import SHA_CONFIG, canary_incident, leaked

pytestmark = pytest.mark.looptime

INCIDENT = canary_incident()
SIGNALS = extract_signals(INCIDENT)
AGENTS = (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent())


class Waits:
    """Records the client's waits between attempts instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _mode(server: FakeLLMServer, waits: Waits | None = None, **reasoning: Any) -> LLMMode:
    llm = LLMSettings(
        _env_file=None,  # type: ignore[call-arg]
        base_url=server.base_url,
        openrouter_api_key="test-key",
        timeout=reasoning.pop("timeout", 2.0),
        retries=reasoning.pop("retries", 1),
        max_retry_after=reasoning.pop("max_retry_after", 5.0),
    )
    settings = ReasoningSettings(_env_file=None, **reasoning)  # type: ignore[call-arg]
    return LLMMode.from_settings(llm, settings, sleep=waits or Waits())


def cite_first_signal(request: RecordedRequest) -> Reply:
    """A well-behaved model: one hypothesis citing the first signal id shown to it."""
    ids = re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)
    answer = {
        "hypotheses": [
            {
                "label": "Pool size lowered",
                "description": "Pool waits began with the config commit.",
                "category": "config_change",
                "suspects": ["database.pool_size", SHA_CONFIG],
                "confidence": 0.8,
                "severity": "high",
                "supporting_signals": ids[:1],
            }
        ]
    }
    usage = {"prompt_tokens": 1_000, "completion_tokens": 80, "cost": 0.0021}
    return Reply.json(answer, usage=usage)


def _context() -> AgentContext:
    return AgentContext(signals=SIGNALS, incident=INCIDENT)


async def test_canaries_never_reach_the_endpoint() -> None:
    """No planted secret appears in any byte the LLM endpoint received, for any agent."""
    async with FakeLLMServer(default=cite_first_signal) as server:
        session = _mode(server).session()
        for agent in AGENTS:
            result = await refine(agent, _context(), agent.candidates(SIGNALS, INCIDENT), session)
            assert result.fallback_reason is None, result.fallback_reason
        assert server.request_count == len(AGENTS)
        for request in server.requests:
            assert leaked(request.raw) == []
            assert b"[REDACTED:" in request.raw


async def test_usage_and_cost_are_recorded_per_agent() -> None:
    """Prompt and completion tokens and the provider's cost land on the agent's result."""
    async with FakeLLMServer(default=cite_first_signal) as server:
        result = await refine(LogAgent(), _context(), [], _mode(server).session())
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (1_000, 80)
    assert result.usage.cost_usd == pytest.approx(0.0021)
    assert result.model == LogAgent.model
    assert server.requests[0].model == LogAgent.model


async def test_model_override_is_sent_to_the_endpoint() -> None:
    """`ALPHA_MODEL_<AGENT>` changes the model id in the request body."""
    async with FakeLLMServer(default=cite_first_signal) as server:
        mode = _mode(server, model_metricsagent="local/qwen")
        await refine(MetricsAgent(), _context(), [], mode.session())
    assert server.requests[0].model == "local/qwen"


async def test_request_asks_for_json_schema_and_limits_completion() -> None:
    """The request carries the answer schema and the completion token limit."""
    async with FakeLLMServer(default=cite_first_signal) as server:
        await refine(LogAgent(), _context(), [], _mode(server, max_completion_tokens=700).session())
    body = server.requests[0].json
    assert body["max_tokens"] == 700
    assert body["response_format"]["type"] == "json_schema"
    assert "hypotheses" in json.dumps(body["response_format"]["json_schema"]["schema"])


@pytest.mark.parametrize(
    ("replies", "reason", "requests"),
    [
        ([Reply.rate_limited(60)], "rate-limited (HTTP 429, asked to wait 60 s)", 1),
        ([Reply.http_error(500), Reply.http_error(500)], "provider error (HTTP 500)", 2),
        ([Reply.http_error(402)], "LLM out of credit (HTTP 402)", 1),
        ([Reply.http_error(401)], "LLM key refused (HTTP 401)", 1),
        ([Reply.error_in_200("Upstream overloaded")] * 2, "Upstream overloaded", 2),
        ([Reply.error_in_200("Invalid model id", code=400)], "Invalid model id", 1),
        ([Reply.garbage_body()], "body is not JSON", 1),
        ([Reply.text("I think it's the database."), Reply.text("Still prose.")], "unusable", 2),
        (
            [Reply.truncated({"hypotheses": [{"label": "x" * 50}]})] * 2,
            "truncated",
            2,
        ),
        ([Reply.length('{"hypotheses": [')] * 2, "finish_reason='length'", 2),
        ([Reply.slow(5.0), Reply.slow(5.0)], "timed out", 2),
    ],
)
async def test_every_failure_mode_falls_back_with_the_reason(
    replies: list[Reply], reason: str, requests: int
) -> None:
    """429, 5xx, 402, 401, error-in-200, garbage, prose, truncation and slowness fall back."""
    agent = ConfigAgent()
    candidates = agent.candidates(SIGNALS, INCIDENT)
    async with FakeLLMServer(replies, default=Reply.http_error(599, "unexpected call")) as server:
        mode = _mode(server, timeout=0.2)
        result = await refine(agent, _context(), candidates, mode.session())
    assert result.fallback_reason is not None, "expected a fallback"
    assert reason in result.fallback_reason, result.fallback_reason
    assert result.hypotheses == candidates
    assert server.request_count == requests


async def test_retry_after_is_honoured_then_the_answer_used() -> None:
    """A 429 with a short Retry-After is waited out (that long) and the retry succeeds."""
    waits = Waits()
    async with FakeLLMServer([Reply.rate_limited(2)], default=cite_first_signal) as server:
        result = await refine(LogAgent(), _context(), [], _mode(server, waits).session())
    assert result.fallback_reason is None
    assert waits.waits == [2.0]
    assert server.request_count == 2


async def test_fenced_json_with_prose_is_accepted() -> None:
    """A model wrapping its JSON in a code fence and prose is still understood."""

    def fenced(request: RecordedRequest) -> Reply:
        answer = json.loads(cite_first_signal(request).content)
        return Reply.fenced(answer)

    async with FakeLLMServer([fenced]) as server:
        result = await refine(LogAgent(), _context(), [], _mode(server).session())
    assert result.fallback_reason is None and result.hypotheses[0].label == "Pool size lowered"


async def test_breaker_stops_calls_to_a_failing_endpoint() -> None:
    """After repeated failures the endpoint is not called again within the process."""
    async with FakeLLMServer(default=Reply.http_error(503)) as server:
        mode = _mode(server, retries=0, breaker_failures=2)
        reasons = []
        for _ in range(4):
            result = await refine(LogAgent(), _context(), [], mode.session())
            reasons.append(result.fallback_reason or "")
    assert server.request_count == 2
    assert "HTTP 503" in reasons[0] and "circuit open" in reasons[3]

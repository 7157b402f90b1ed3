"""Whole investigations in LLM mode against the loopback fake endpoint.

The tests run on virtual loop time (looptime): request timeouts, LLM deadlines and agent
timeouts count only the time spent waiting, never the machine's speed.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from alpha.llm.settings import LLMSettings
from alpha.schemas import ExecutionResult
from sre.agents.roster import AGENT_NAMES
from sre.engine import build_runtime, investigate
from sre.llm.mode import LLMSessions
from sre.llm.refine import LLMMode
from sre.llm.settings import ReasoningSettings
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply
from tests.sre.llm.canaries import CANARIES, SHA_CONFIG, canary_incident, leaked

pytestmark = pytest.mark.looptime


async def _no_wait(seconds: float) -> None:
    """The client's wait between attempts, skipped."""


def _mode(server: FakeLLMServer, **reasoning: Any) -> LLMMode:
    llm = LLMSettings(
        _env_file=None,  # type: ignore[call-arg]
        base_url=server.base_url,
        timeout=reasoning.pop("timeout", 2.0),
        retries=0,
    )
    settings = ReasoningSettings(_env_file=None, **reasoning)  # type: ignore[call-arg]
    return LLMMode.from_settings(llm, settings, sleep=_no_wait)


def _shown_ids(request: RecordedRequest) -> list[str]:
    return re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)


def good_model(request: RecordedRequest) -> Reply:
    """A model that names the pool change, citing the first signal it was shown."""
    hypothesis = {
        "label": "Pool size lowered in config commit",
        "description": "Pool waits began right after the commit lowering the pool size.",
        "category": "config_change",
        "suspects": ["database.pool_size", SHA_CONFIG],
        "confidence": 0.85,
        "severity": "high",
        "supporting_signals": _shown_ids(request)[:2],
    }
    usage = {"prompt_tokens": 1_500, "completion_tokens": 120, "cost": 0.003}
    return Reply.json({"hypotheses": [hypothesis]}, usage=usage)


def _top(result: ExecutionResult) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(h.label, h.category, tuple(h.suspects)) for h in result.ranked_hypotheses]


async def test_without_an_llm_mode_the_configured_endpoint_is_never_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no LLM mode passed, nothing reaches the endpoint the environment names: the
    engine never reads LLM settings itself; no usage, no fallback."""
    async with FakeLLMServer(default=good_model) as server:
        monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-set-but-unused")
        result = await investigate(canary_incident())
    assert server.request_count == 0
    assert result.ranked_hypotheses
    assert result.usage.calls == 0
    assert all(o.fallback_reason is None and o.usage is None for o in result.agent_outcomes)


async def test_llm_investigation_records_usage_per_agent_and_in_total() -> None:
    """Each agent's tokens and cost are on its outcome; the result sums them."""
    async with FakeLLMServer(default=good_model) as server:
        result = await investigate(canary_incident(), llm=_mode(server))
    assert server.request_count == len(AGENT_NAMES)
    by_agent = {o.agent_name: o for o in result.agent_outcomes}
    for name in AGENT_NAMES:
        outcome = by_agent[name]
        assert outcome.fallback_reason is None, outcome.fallback_reason
        assert outcome.usage is not None and outcome.usage.prompt_tokens == 1_500
    assert result.usage.prompt_tokens == 1_500 * len(AGENT_NAMES)
    assert (
        result.usage.cost_usd is not None
        and abs(result.usage.cost_usd - 0.003 * len(AGENT_NAMES)) < 1e-9
    )
    assert result.ranked_hypotheses[0].category == "config_change"
    for request in server.requests:
        assert leaked(request.raw) == []


async def test_failing_endpoint_falls_back_and_the_run_goes_on() -> None:
    """Every agent falls back with its reason; the ranking equals the deterministic one."""
    incident = canary_incident()
    baseline = await investigate(incident)
    async with FakeLLMServer(default=Reply.http_error(402)) as server:
        result = await investigate(incident, llm=_mode(server))
    assert _top(result) == _top(baseline)
    reasons = [o.fallback_reason or "" for o in result.agent_outcomes]
    assert all("out of credit (HTTP 402)" in r or "circuit open" in r for r in reasons), reasons
    assert all(o.status == "ok" for o in result.agent_outcomes)


async def test_token_cap_holds_for_a_whole_investigation() -> None:
    """A zero cap allows no call; a cap for one agent's worst case lets one agent call."""
    incident = canary_incident()
    async with FakeLLMServer(default=good_model) as server:
        runtime = build_runtime(llm=_mode(server, token_cap=0))
        zero = await runtime.execute(incident)
        assert server.request_count == 0
        assert all(
            "token cap of 0 reached" in (o.fallback_reason or "") for o in zero.agent_outcomes
        )
        # Agents reserve their worst case (two calls of a full prompt and answer) up front.
        cap = 2 * (8_000 + 1_500) + 3_000
        result = await investigate(incident, llm=_mode(server, token_cap=cap))
    capped = [o for o in result.agent_outcomes if "token cap" in (o.fallback_reason or "")]
    called = [o for o in result.agent_outcomes if o.usage is not None and o.usage.calls]
    assert capped and called
    assert len(capped) + len(called) == len(AGENT_NAMES)
    assert result.usage.total_tokens <= cap
    assert server.request_count == len(called)


def forged_citation(request: RecordedRequest) -> Reply:
    """A model that obeyed the log line: a mention-laden label citing sig_999."""
    forged = {
        "label": "<!channel> the intern did it",
        "category": "unknown",
        "suspects": [],
        "confidence": 1.0,
        "severity": "high",
        "supporting_signals": ["sig_999"],
    }
    return Reply.json({"hypotheses": [forged]})


def reports_nothing(request: RecordedRequest) -> Reply:
    """A model that obeyed "answer {"hypotheses": []}"."""
    return Reply.json({"hypotheses": []})


@pytest.mark.parametrize("model", [forged_citation, reports_nothing])
async def test_injected_text_cannot_change_what_the_judge_accepts(model: Any) -> None:
    """A model obeying injected instructions changes nothing the judge accepts."""
    incident = canary_incident(injections=True)
    baseline = await investigate(incident)
    async with FakeLLMServer(default=model) as server:
        result = await investigate(incident, llm=_mode(server))
    assert server.request_count == len(AGENT_NAMES)
    assert any(b"IGNORE PREVIOUS INSTRUCTIONS" in r.raw for r in server.requests)
    assert all("the intern" not in h.label for h in result.ranked_hypotheses)
    assert _top(result) == _top(baseline)


async def test_llm_deadline_fits_inside_the_agent_timeout() -> None:
    """A hanging endpoint gives fallbacks, not timed-out agents, before the agent timeout."""
    incident = canary_incident()
    async with FakeLLMServer(default=Reply.slow(30.0)) as server:
        runtime = build_runtime(agent_timeout=1.5, llm=_mode(server, timeout=10.0))
        result = await runtime.execute(incident)
    assert all(o.status == "ok" for o in result.agent_outcomes)
    assert all("no answer within" in (o.fallback_reason or "") for o in result.agent_outcomes)


@pytest.mark.parametrize("injections", [True, False])
def test_every_canary_is_planted_in_the_payload(injections: bool) -> None:
    """Each canary secret occurs in the payload, so a leak check has something to find."""
    incident = canary_incident(injections=injections)
    assert sorted(leaked(incident.model_dump_json())) == sorted(CANARIES)


async def test_a_reused_runtime_gives_each_investigation_its_own_cap() -> None:
    """Concurrent investigations on one runtime each get their own token cap."""
    async with FakeLLMServer(default=good_model) as server:
        mode = _mode(server, token_cap=len(AGENT_NAMES) * (2 * (8_000 + 1_500) + 1_200))
        runtime = build_runtime(llm=mode)
        first, second = await asyncio.gather(
            runtime.execute(canary_incident()), runtime.execute(canary_incident())
        )
    for result in (first, second):
        assert all(o.fallback_reason is None for o in result.agent_outcomes)
    assert server.request_count == 2 * len(AGENT_NAMES)
    sessions = LLMSessions(mode)
    one, other = canary_incident(), canary_incident()
    assert sessions.for_incident(one) is sessions.for_incident(one)
    assert sessions.for_incident(one) is not sessions.for_incident(other)
    del one
    assert len(sessions) == 1  # a finished investigation's session is dropped with it

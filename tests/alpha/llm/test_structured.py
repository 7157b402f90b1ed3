"""Structured output: tolerant JSON extraction, validation, and bounded repair calls."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, RootModel

from alpha.core.errors import LLMOutputError, LLMTimeoutError
from alpha.llm import ScriptedLLMClient, ScriptExhaustedError, complete_structured, extract_json
from alpha.llm.openrouter import OpenRouterClient
from alpha.llm.structured import parse_structured
from alpha.schemas import TokenUsage
from tests.fakes import llm_server
from tests.fakes.llm_server import FakeLLMServer, Reply


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    confidence: float = Field(ge=0.0, le=1.0)
    signals: list[str] = Field(default_factory=list)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Item]


GOOD = {"items": [{"label": "pool exhausted", "confidence": 0.8, "signals": ["sig_001"]}]}


async def _no_sleep(_seconds: float) -> None:
    """Retries in these tests never wait."""


# The shared fixture, bound at module level (an import would trip ruff's F811).
fake_llm_server = llm_server.fake_llm_server


def client_for(server: FakeLLMServer) -> OpenRouterClient:
    return OpenRouterClient("test/model", api_key="k", base_url=server.base_url, sleep=_no_sleep)


# ---------------------------------------------------------------------- parse_structured


def test_plain_json_parses() -> None:
    """Bare JSON validates into the model."""
    assert parse_structured(json.dumps(GOOD), Answer) == Answer.model_validate(GOOD)


def test_fenced_json_with_prose_parses() -> None:
    """A ```json fence with prose before and after is accepted."""
    text = f"Sure! Here you go:\n```json\n{json.dumps(GOOD, indent=2)}\n```\nAnything else?"
    assert parse_structured(text, Answer).items[0].label == "pool exhausted"


def test_prose_around_unfenced_json_parses() -> None:
    """Leading prose with braces in it and trailing prose are skipped."""
    text = f"I looked at {{the logs}} and: {json.dumps(GOOD)} -- done."
    assert parse_structured(text, Answer).items[0].confidence == 0.8


def test_truncated_json_is_reported_as_truncated() -> None:
    """Cut JSON raises LLMOutputError saying 'truncated', never a nested fragment."""
    full = json.dumps({"items": [GOOD["items"][0], {"label": "second", "confidence": 0.4}]})
    text = full[: full.index('"confidence": 0.4')]
    with pytest.raises(LLMOutputError, match="truncated") as caught:
        parse_structured(text, Answer)
    assert caught.value.raw == text


def test_truncated_inner_object_never_accepted_as_answer() -> None:
    """A complete inner object inside a cut outer one is not returned by extract_json."""
    text = '{"wrapper": {"label": "x", "confidence": 0.5}, "more": "unfinished'
    with pytest.raises(LLMOutputError, match="truncated"):
        extract_json(text)


def test_validation_error_names_the_field() -> None:
    """A wrong type, range or extra key is reported with its field path."""
    bad = {"items": [{"label": "x", "confidence": 1.7, "bogus": 1}]}
    with pytest.raises(LLMOutputError) as caught:
        parse_structured(json.dumps(bad), Answer)
    message = str(caught.value)
    assert "items.0.confidence" in message and "items.0.bogus" in message


def test_garbage_and_empty_rejected() -> None:
    """Text without JSON, and empty text, raise LLMOutputError with the raw text."""
    with pytest.raises(LLMOutputError, match="no JSON object") as caught:
        parse_structured("I cannot help with that.", Answer)
    assert caught.value.raw == "I cannot help with that."
    with pytest.raises(LLMOutputError, match="empty"):
        parse_structured("  \n", Answer)


def test_root_model_list_parses() -> None:
    """A RootModel over a list accepts a top-level JSON array."""
    items = RootModel[list[Item]]
    assert len(parse_structured(json.dumps(GOOD["items"]), items).root) == 1


_labels = st.text(min_size=1, max_size=30)
_prose = st.text(max_size=40).filter(lambda s: "{" not in s and "`" not in s)


@given(
    label=_labels,
    confidence=st.floats(0, 1),
    before=_prose,
    after=st.text(max_size=40),
    fenced=st.booleans(),
)
def test_roundtrip_through_prose_and_fences(
    label: str, confidence: float, before: str, after: str, fenced: bool
) -> None:
    """Any valid answer survives being wrapped in prose (and optionally a fence)."""
    answer = Answer(items=[Item(label=label, confidence=confidence)])
    body = answer.model_dump_json()
    text = f"{before}\n```json\n{body}\n```\n{after}" if fenced else f"{before} {body} {after}"
    assert parse_structured(text, Answer) == answer


@given(st.text(max_size=300))
def test_arbitrary_text_only_ever_raises_llm_output_error(text: str) -> None:
    """Whatever the model writes, parsing returns a model or raises LLMOutputError."""
    try:
        parse_structured(text, Answer)
    except LLMOutputError as exc:
        assert exc.raw == text


@given(st.integers(min_value=1, max_value=200))
def test_every_cut_of_valid_json_is_rejected(cut: int) -> None:
    """No strict prefix of a valid answer is accepted (truncation never slips through)."""
    text = json.dumps(GOOD)
    prefix = text[: min(cut, len(text) - 1)]
    with pytest.raises(LLMOutputError):
        parse_structured(prefix, Answer)


# ---------------------------------------------------------------------- complete_structured


async def test_scripted_repair_once_then_success() -> None:
    """An invalid first answer triggers one repair call quoting the validation error."""
    client = ScriptedLLMClient(['{"items": [{"label": ""}]}', json.dumps(GOOD)])
    answer = await complete_structured(client, "sys", "find the cause", Answer)
    assert answer.items[0].label == "pool exhausted"
    first, repair = client.calls
    assert first.user == "find the cause" and first.schema == Answer.model_json_schema()
    assert repair.user.startswith("find the cause")
    assert "items.0.label" in repair.user and "items.0.confidence" in repair.user


async def test_scripted_invalid_twice_raises_with_raw() -> None:
    """Still invalid after the repair call: LLMOutputError with the last raw answer."""
    client = ScriptedLLMClient(["nope", "still nope"])
    with pytest.raises(LLMOutputError, match="1 repair") as caught:
        await complete_structured(client, "s", "u", Answer)
    assert caught.value.raw == "still nope"
    assert len(client.calls) == 2


async def test_zero_repair_attempts_makes_one_call() -> None:
    """repair_attempts=0 gives up after the first invalid answer."""
    client = ScriptedLLMClient(["nope"])
    with pytest.raises(LLMOutputError):
        await complete_structured(client, "s", "u", Answer, repair_attempts=0)
    assert len(client.calls) == 1


async def test_other_llm_errors_are_not_repaired() -> None:
    """A timeout propagates at once; no repair call is made."""
    client = ScriptedLLMClient([LLMTimeoutError("slow"), json.dumps(GOOD)])
    with pytest.raises(LLMTimeoutError):
        await complete_structured(client, "s", "u", Answer)
    assert client.remaining == 1


async def test_fenced_json_from_server(fake_llm_server: FakeLLMServer) -> None:
    """Fenced JSON from the endpoint is accepted in one call."""
    fake_llm_server.push(Reply.fenced(GOOD))
    async with client_for(fake_llm_server) as client:
        answer = await complete_structured(client, "s", "u", Answer)
    assert answer == Answer.model_validate(GOOD)
    assert fake_llm_server.request_count == 1
    assert fake_llm_server.requests[0].json["response_format"]["type"] == "json_schema"


async def test_malformed_then_valid_from_server(fake_llm_server: FakeLLMServer) -> None:
    """Garbage, then valid JSON: one repair request, whose prompt carries the problem."""
    fake_llm_server.push(Reply.text("I think it is the database."), Reply.json(GOOD))
    async with client_for(fake_llm_server) as client:
        answer = await complete_structured(client, "s", "u", Answer)
    assert answer.items[0].signals == ["sig_001"]
    assert fake_llm_server.request_count == 2
    assert "no JSON object" in fake_llm_server.requests[1].user


async def test_truncated_twice_from_server_raises(fake_llm_server: FakeLLMServer) -> None:
    """Truncated JSON twice: one repair, then LLMOutputError carrying the raw text."""
    fake_llm_server.push(Reply.truncated(GOOD), Reply.truncated(GOOD, keep=0.3))
    async with client_for(fake_llm_server) as client:
        with pytest.raises(LLMOutputError, match="truncated") as caught:
            await complete_structured(client, "s", "u", Answer)
    assert fake_llm_server.request_count == 2
    assert caught.value.raw == json.dumps(GOOD)[: int(len(json.dumps(GOOD)) * 0.3)]


async def test_finish_reason_length_is_repaired(fake_llm_server: FakeLLMServer) -> None:
    """A `finish_reason=length` answer counts as invalid and is repaired once."""
    fake_llm_server.push(Reply.length('{"items": [{"label": "po'), Reply.json(GOOD))
    async with client_for(fake_llm_server) as client:
        answer = await complete_structured(client, "s", "u", Answer)
        assert client.usage.calls == 2
    assert answer.items[0].label == "pool exhausted"
    assert "finish_reason='length'" in fake_llm_server.requests[1].user


# ---------------------------------------------------------------------- the scripted client


async def test_scripted_client_callables_usage_and_exhaustion() -> None:
    """Callables see the prompts, usage accrues per answer, and running out fails loudly."""
    usage = TokenUsage(prompt_tokens=10, completion_tokens=2, calls=1)
    client = ScriptedLLMClient([lambda system, user: f"{system}/{user}"], usage_per_call=usage)
    assert await client.complete("a", "b") == "a/b"
    assert client.usage.total_tokens == 12 and client.last_usage == usage
    with pytest.raises(ScriptExhaustedError, match="1 scripted answers"):
        await client.complete("a", "again")
    assert [call.user for call in client.calls] == ["b", "again"]

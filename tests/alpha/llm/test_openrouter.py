"""OpenRouterClient against the loopback OpenAI-compatible fake (real `openai` SDK, no mocks)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.core.errors import (
    ConfigurationError,
    LLMOutputError,
    LLMProviderError,
    LLMRateLimitError,
    LLMTimeoutError,
)
from alpha.llm import LLMSettings
from alpha.llm.openrouter import (
    PLACEHOLDER_API_KEY,
    OpenRouterClient,
    is_strict_schema,
    normalise_content,
    parse_retry_after,
)
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply

SCHEMA: dict[str, object] = {
    "title": "Answer",
    "type": "object",
    "properties": {"label": {"type": "string"}},
    "required": ["label"],
    "additionalProperties": False,
}


class RecordingSleep:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer() as server:
        yield server


def make_client(
    server: FakeLLMServer, sleep: RecordingSleep | None = None, **kwargs: object
) -> OpenRouterClient:
    # Exact waits: the jitter has its own test.
    options: dict[str, object] = {"api_key": "sk-test", "base_url": server.base_url, "jitter": 0}
    options.update(kwargs)
    return OpenRouterClient("test/model", sleep=sleep or RecordingSleep(), **options)  # type: ignore[arg-type]


async def run(server: FakeLLMServer, replies: Sequence[Reply], **kwargs: object) -> str:
    server.push(*replies)
    async with make_client(server, **kwargs) as client:  # type: ignore[arg-type]
        return await client.complete("sys", "usr")


async def test_normal_answer_sends_prompt_model_and_key(llm: FakeLLMServer) -> None:
    """A plain answer comes back as text; the request carries both prompts, model and key."""
    assert await run(llm, [Reply.text("the answer")]) == "the answer"
    [request] = llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.model == "test/model"
    assert (request.system, request.user) == ("sys", "usr")
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert "response_format" not in request.json


async def test_usage_and_cost_recorded(llm: FakeLLMServer) -> None:
    """Reported prompt/completion tokens and OpenRouter's cost add up across calls."""
    usage = {"prompt_tokens": 100, "completion_tokens": 20, "cost": 0.0015}
    llm.push(Reply.text("a", usage=usage), Reply.text("b", usage={"prompt_tokens": 7}))
    async with make_client(llm) as client:
        await client.complete("s", "u")
        assert client.last_usage is not None and client.last_usage.cost_usd == 0.0015
        await client.complete("s", "u")
    assert client.usage.prompt_tokens == 107
    assert client.usage.completion_tokens == 20
    assert client.usage.cost_usd == pytest.approx(0.0015)
    assert client.usage.calls == 2
    assert client.last_usage is not None and client.last_usage.prompt_tokens == 7


async def test_missing_usage_still_counts_the_call(llm: FakeLLMServer) -> None:
    """An answer without `usage` counts one call and no tokens."""
    llm.push(Reply.text("x", usage=None))
    async with make_client(llm) as client:
        await client.complete("s", "u")
    assert (client.usage.calls, client.usage.total_tokens, client.usage.cost_usd) == (1, 0, None)


async def test_429_then_success_honours_retry_after(llm: FakeLLMServer) -> None:
    """A 429 is retried after exactly the Retry-After the server sent."""
    sleep = RecordingSleep()
    assert await run(llm, [Reply.rate_limited(3), Reply.text("ok")], sleep=sleep) == "ok"
    assert llm.request_count == 2
    assert sleep.waits == [3.0]


async def test_retry_after_ms_header_preferred(llm: FakeLLMServer) -> None:
    """`retry-after-ms` is read in milliseconds."""
    sleep = RecordingSleep()
    limited = Reply.rate_limited(None, headers={"retry-after-ms": "250"})
    assert await run(llm, [limited, Reply.text("ok")], sleep=sleep) == "ok"
    assert sleep.waits == [0.25]


async def test_429_beyond_cap_fails_at_once(llm: FakeLLMServer) -> None:
    """A Retry-After above `max_retry_after` is not waited for: LLMRateLimitError at once."""
    sleep = RecordingSleep()
    with pytest.raises(LLMRateLimitError, match="exceeds") as caught:
        await run(llm, [Reply.rate_limited(120)], sleep=sleep, max_retry_after=10.0)
    assert caught.value.retry_after == 120.0
    assert llm.request_count == 1
    assert sleep.waits == []


async def test_429_budget_is_bounded(llm: FakeLLMServer) -> None:
    """Persistent 429s stop after `rate_limit_retries` retries with LLMRateLimitError."""
    sleep = RecordingSleep()
    llm.default = Reply.rate_limited(1)
    with pytest.raises(LLMRateLimitError, match="HTTP 429"):
        await run(llm, [], sleep=sleep, rate_limit_retries=2)
    assert llm.request_count == 3
    assert sleep.waits == [1.0, 1.0]


async def test_repeated_500_gives_typed_error_after_bounded_retries(llm: FakeLLMServer) -> None:
    """Persistent 500s are tried 1 + `retries` times with backoff, then LLMProviderError."""
    sleep = RecordingSleep()
    llm.default = Reply.http_error(500, "upstream exploded")
    with pytest.raises(LLMProviderError) as caught:
        await run(llm, [], sleep=sleep, retries=2, backoff=0.5)
    assert llm.request_count == 3
    assert sleep.waits == [0.5, 1.0]
    assert caught.value.status == 500
    message = str(caught.value)
    assert "upstream exploded" in message and "'test/model'" in message and "3 tries" in message


async def test_500_then_success(llm: FakeLLMServer) -> None:
    """One 5xx followed by an answer succeeds on the retry."""
    assert await run(llm, [Reply.http_error(503), Reply.text("fine")]) == "fine"
    assert llm.request_count == 2


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
async def test_client_errors_not_retried(llm: FakeLLMServer, status: int) -> None:
    """400/401/402/403/404 fail at once with the status and the upstream message."""
    sleep = RecordingSleep()
    with pytest.raises(LLMProviderError) as caught:
        await run(llm, [Reply.http_error(status, f"denied {status}")], sleep=sleep)
    assert caught.value.status == status
    assert f"denied {status}" in str(caught.value)
    assert llm.request_count == 1
    assert sleep.waits == []


async def test_timeout_retried_then_typed_error(llm: FakeLLMServer) -> None:
    """A server slower than the timeout gives LLMTimeoutError after 1 + `retries` tries."""
    llm.default = Reply.slow(5.0)
    with pytest.raises(LLMTimeoutError, match="0.2"):
        await run(llm, [], timeout=0.2, retries=1)
    assert llm.request_count == 2


async def test_error_object_in_200_is_provider_error(llm: FakeLLMServer) -> None:
    """OpenRouter's HTTP 200 carrying an `error` object raises LLMProviderError, not text."""
    with pytest.raises(LLMProviderError, match="Invalid model id") as caught:
        await run(llm, [Reply.error_in_200("Invalid model id", code=400)])
    assert caught.value.status == 400
    assert llm.request_count == 1


async def test_transient_error_object_in_200_is_retried(llm: FakeLLMServer) -> None:
    """A 200 whose error code is 5xx is retried like a 5xx, then fails with that status."""
    sleep = RecordingSleep()
    assert await run(llm, [Reply.error_in_200(code=502), Reply.text("ok")], sleep=sleep) == "ok"
    assert llm.request_count == 2
    llm.default = Reply.error_in_200("no healthy upstream", code=503)
    with pytest.raises(LLMProviderError, match="no healthy upstream") as caught:
        await run(llm, [], sleep=sleep, retries=1)
    assert caught.value.status == 503
    assert llm.request_count == 4


async def test_non_json_body_is_provider_error(llm: FakeLLMServer) -> None:
    """A 200 whose body is not JSON raises LLMProviderError quoting the body."""
    with pytest.raises(LLMProviderError, match="Bad Gateway"):
        await run(llm, [Reply.garbage_body()])


async def test_finish_reason_length_raises_with_partial_text(llm: FakeLLMServer) -> None:
    """`finish_reason="length"` raises LLMOutputError carrying the partial text; usage kept."""
    llm.push(Reply.length('{"label": "cut'))
    async with make_client(llm) as client:
        with pytest.raises(LLMOutputError, match="length") as caught:
            await client.complete("s", "u")
    assert caught.value.raw == '{"label": "cut'
    assert client.usage.calls == 1 and client.usage.prompt_tokens == 12


async def test_content_parts_and_null_content_normalised(llm: FakeLLMServer) -> None:
    """A list of content parts is joined; null content becomes the empty string."""
    assert await run(llm, [Reply.content_parts("ab", "cd")]) == "abcd"
    assert await run(llm, [Reply.null_content()]) == ""


async def test_complete_json_sends_schema_and_openrouter_routing(llm: FakeLLMServer) -> None:
    """complete_json sends a json_schema response format; strict only when the schema is."""
    llm.push(Reply.json({"label": "x"}), Reply.json({"label": "y"}))
    loose = {"title": "Loose answer!", "type": "object", "properties": {"a": {"type": "string"}}}
    async with make_client(llm) as client:
        assert json.loads(await client.complete_json("s", "u", SCHEMA)) == {"label": "x"}
        await client.complete_json("s", "u", loose)
    strict, lax = (r.json["response_format"]["json_schema"] for r in llm.requests)
    assert strict == {"name": "Answer", "strict": True, "schema": SCHEMA}
    assert (lax["name"], lax["strict"]) == ("Loose_answer_", False)
    # A non-OpenRouter endpoint gets no OpenRouter-only provider routing field.
    assert all("provider" not in r.json for r in llm.requests)


async def test_attribution_headers_and_limits_sent(llm: FakeLLMServer) -> None:
    """HTTP-Referer / X-Title, max_tokens and temperature go out when configured."""
    options = {"app_url": "https://example.org/alpha", "app_title": "Alpha", "max_tokens": 256}
    await run(llm, [Reply.text("x")], temperature=0.0, **options)
    [request] = llm.requests
    assert request.headers["HTTP-Referer"] == "https://example.org/alpha"
    assert request.headers["X-Title"] == "Alpha"
    assert (request.json["max_tokens"], request.json["temperature"]) == (256, 0.0)


async def test_local_endpoint_without_key_uses_placeholder(llm: FakeLLMServer) -> None:
    """A non-OpenRouter base URL works without a key (a placeholder is sent)."""
    await run(llm, [Reply.text("x")], api_key=None)
    assert llm.requests[0].headers["Authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


async def test_callable_reply_sees_the_prompt(llm: FakeLLMServer) -> None:
    """The fake's callable replies answer from the recorded request."""

    def echo(request: RecordedRequest) -> str:
        return request.user.upper()

    assert await run(llm, [echo]) == "USR"  # type: ignore[list-item]


def test_openrouter_requires_a_key() -> None:
    """OpenRouter without a key is a configuration error naming the variable."""
    with pytest.raises(ConfigurationError, match="OPENROUTER_API_KEY"):
        OpenRouterClient("m/x", api_key=None)


async def test_openrouter_adds_require_parameters_for_schemas(llm: FakeLLMServer) -> None:
    """With OpenRouter, structured calls ask for provider.require_parameters; plain ones don't."""
    llm.push(Reply.json({"label": "x"}), Reply.text("plain"))
    async with make_client(llm, openrouter=True) as client:
        await client.complete_json("s", "u", SCHEMA)
        await client.complete("s", "u")
    structured, plain = (request.json for request in llm.requests)
    assert structured["provider"] == {"require_parameters": True}
    assert "provider" not in plain and "response_format" not in plain


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLMSettings reads the documented variables; `configured` needs a key or a base URL."""
    for name in (
        "OPENROUTER_API_KEY",
        "ALPHA_LLM_BASE_URL",
        "ALPHA_LLM_TIMEOUT",
        "ALPHA_LLM_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    assert not LLMSettings(_env_file=None).configured
    monkeypatch.setenv("ALPHA_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("ALPHA_LLM_TIMEOUT", "7.5")
    settings = LLMSettings(_env_file=None)
    assert settings.configured and settings.timeout == 7.5
    assert settings.effective_base_url == "http://127.0.0.1:11434/v1"
    monkeypatch.delenv("ALPHA_LLM_BASE_URL")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-abc")
    settings = LLMSettings(_env_file=None)
    assert settings.configured and settings.api_key() == "sk-or-v1-abc"
    assert "sk-or-v1-abc" not in repr(settings)


def test_settings_reject_bad_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-numeric ALPHA_LLM_TIMEOUT fails validation naming the field."""
    monkeypatch.setenv("ALPHA_LLM_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="ALPHA_LLM_TIMEOUT"):
        LLMSettings(_env_file=None)


async def test_client_from_settings(llm: FakeLLMServer) -> None:
    """from_settings wires base URL, model and timeout from LLMSettings."""
    settings = LLMSettings(_env_file=None, base_url=llm.base_url, model="org/m", timeout=5)
    llm.push(Reply.text("hi"))
    async with OpenRouterClient.from_settings(settings) as client:
        assert (client.model, client.timeout) == ("org/m", 5.0)
        assert await client.complete("s", "u") == "hi"
    with pytest.raises(ConfigurationError, match="ALPHA_LLM_MODEL"):
        OpenRouterClient.from_settings(LLMSettings(_env_file=None, base_url=llm.base_url))


def test_parse_retry_after_forms() -> None:
    """Retry-After as seconds, as an HTTP date against `Date`, and garbage."""
    assert parse_retry_after({"Retry-After": "2.5"}) == 2.5
    dated = {
        "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
        "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
    }
    assert parse_retry_after(dated) == 30.0
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_normalise_content_shapes() -> None:
    """Strings pass, None is empty, parts are joined, unknown parts are skipped."""
    assert normalise_content("x") == "x"
    assert normalise_content(None) == ""
    assert normalise_content([{"type": "text", "text": "a"}, {"type": "image"}, "b"]) == "ab"


def test_is_strict_schema_checks_nested_objects() -> None:
    """Strict needs every object closed with all keys required, nested ones included."""
    assert is_strict_schema(SCHEMA)
    nested = dict(SCHEMA, properties={"label": {"type": "object", "properties": {"x": {}}}})
    assert not is_strict_schema(nested)


async def test_connection_refused_retried_then_provider_error() -> None:
    """An endpoint that refuses connections is retried `retries` times, then LLMProviderError."""
    async with FakeLLMServer() as server:
        base_url = server.base_url
    sleep = RecordingSleep()
    client = OpenRouterClient(
        "m/x", api_key="k", base_url=base_url, retries=2, sleep=sleep, jitter=0
    )
    async with client:
        with pytest.raises(LLMProviderError, match="connection failed") as caught:
            await client.complete("s", "u")
    assert caught.value.status is None
    assert sleep.waits == [0.5, 1.0]


async def test_backoff_waits_are_jittered_within_their_bounds(llm: FakeLLMServer) -> None:
    """With jitter, each backoff is between half and all of its exponential value, and two
    clients failing together do not wait the same (tenacity retries with our wait)."""
    llm.default = Reply.http_error(503, "busy")
    waits = []
    for _ in range(2):
        sleep = RecordingSleep()
        with pytest.raises(LLMProviderError):
            await run(llm, [], sleep=sleep, retries=3, backoff=0.5, jitter=0.5)
        assert 0.25 <= sleep.waits[0] <= 0.5 and 0.5 <= sleep.waits[1] <= 1.0
        assert 1.0 <= sleep.waits[2] <= 2.0
        waits.append(sleep.waits)
    assert waits[0] != waits[1]


async def test_invalid_configuration_is_rejected() -> None:
    """A blank model, a non-positive timeout or negative retries are configuration errors."""
    with pytest.raises(ConfigurationError, match="model"):
        OpenRouterClient(" ", api_key="k")
    with pytest.raises(ConfigurationError, match="timeout"):
        OpenRouterClient("m/x", api_key="k", timeout=0)
    with pytest.raises(ConfigurationError, match="retries"):
        OpenRouterClient("m/x", api_key="k", retries=-1)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["Retry-After", "retry-after-ms", "Date"]), st.text()))
def test_parse_retry_after_never_raises(headers: dict[str, str]) -> None:
    """Whatever the headers hold, the wait is None or a non-negative number of seconds."""
    wait = parse_retry_after(headers)
    assert wait is None or wait >= 0.0


def _is_text_part(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and isinstance(value.get("text"), str)
    )


# (part, the text it contributes): plain strings, `{"type": "text", "text": ...}` parts, and
# anything else (images, numbers, nested lists), which contributes nothing.
_parts = st.lists(
    st.one_of(
        st.text().map(lambda s: (s, s)),
        st.text().map(lambda s: ({"type": "text", "text": s}, s)),
        _json_values.filter(lambda v: not _is_text_part(v)).map(lambda v: (v, "")),
    ),
    max_size=6,
)


@given(_parts)
def test_content_parts_normalise_to_their_text_in_order(parts: list[tuple[object, str]]) -> None:
    """A list of content parts gives its text parts joined in order; other parts are dropped."""
    content = [part for part, _ in parts]
    assert normalise_content(content) == "".join(text for _, text in parts)


@given(_json_values.filter(lambda v: not isinstance(v, list)))
def test_other_content_normalises_without_losing_it(content: object) -> None:
    """Text stays as is, None becomes "", an object its JSON, a number or flag its text."""
    text = normalise_content(content)
    if content is None:
        assert text == ""
    elif isinstance(content, dict):
        assert json.loads(text) == content
    else:
        assert text == (content if isinstance(content, str) else str(content))


async def test_design_form_reads_the_key_from_the_environment(
    llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """`OpenRouterClient(model)` (the design's form) sends `OPENROUTER_API_KEY` from the env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-from-env")
    async with OpenRouterClient("test/model", base_url=llm.base_url) as client:
        await client.complete("s", "u")
    assert llm.requests[0].headers["Authorization"] == "Bearer sk-or-v1-from-env"


async def test_design_form_reads_the_key_from_a_dotenv_file(
    llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """With no variable exported, the key of `./.env` is used, as the design asks."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    (tmp_path / ".env").write_text("OPENROUTER_API_KEY=sk-or-v1-dotenv\n")
    async with OpenRouterClient("test/model", base_url=llm.base_url) as client:
        await client.complete("s", "u")
    assert llm.requests[0].headers["Authorization"] == "Bearer sk-or-v1-dotenv"


def test_design_form_without_any_key_refuses_openrouter(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """No key anywhere and the OpenRouter endpoint: a configuration error naming the variable."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENROUTER_API_KEY"):
        OpenRouterClient("anthropic/claude-sonnet-4-6")

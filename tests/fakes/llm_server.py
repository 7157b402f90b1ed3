"""A loopback fake of an OpenAI-compatible chat-completions endpoint (OpenRouter, vLLM, ...).

Use it through the real `openai` client (our `OpenRouterClient`), never by patching:

    async with FakeLLMServer([Reply.json({"hypotheses": []}), Reply.rate_limited(2)]) as llm:
        client = OpenRouterClient("test/model", api_key="k", base_url=llm.base_url)
        ...
        assert llm.request_count == 2
        assert "secret" not in llm.requests[0].raw.decode()

It serves `POST /chat/completions` and `POST /v1/chat/completions` on 127.0.0.1, port 0
(`base_url` ends in `/v1`). Every request is recorded as a `RecordedRequest` (raw bytes,
parsed JSON, headers, path) *before* it is answered, so even requests that time out on the
client side are counted. Replies come from a FIFO script; when it is empty the `default`
reply answers (a plain `"ok"` unless given). A script entry is either a `Reply` or a callable
`(RecordedRequest) -> Reply | str` for answers that depend on the prompt (a `str` is sent as
the message content).

`Reply` constructors cover the failure shapes real providers produce: `json`, `text`,
`fenced`, `truncated` (cut JSON), `length` (`finish_reason="length"`), `content_parts`
(content as a list of parts), `null_content`, `rate_limited` (429 + `Retry-After`),
`http_error` (any HTTP error status: 500, 401, 402, ...), `error_in_200` (OpenRouter's 200
carrying an `error` object), `garbage_body` (a non-JSON body) and `slow` (any reply after a delay).
Slow replies end early when the server closes, so a test never waits for them.

Not covered: streaming (`stream=True`), tools and embeddings; the project does not use them.

The `fake_llm_server` fixture gives a running server with an empty script. Bind it in a test
module as `fake_llm_server = llm_server.fake_llm_server` (after
`from tests.fakes import llm_server`; importing the name directly trips ruff's F811), or
import it in a conftest.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest_asyncio
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.fakes.loopback import serve

DEFAULT_USAGE: dict[str, Any] = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, exactly as it arrived."""

    path: str
    headers: Mapping[str, str]  # case-insensitive, as HTTP header names are
    raw: bytes
    json: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the request (empty when the body was not a JSON object)."""
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return list(self.json["messages"])
        return []

    def content_of(self, role: str) -> str:
        """The text of the first message with this role ('' when absent)."""
        for message in self.messages:
            if message.get("role") == role:
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""

    @property
    def system(self) -> str:
        """The system prompt."""
        return self.content_of("system")

    @property
    def user(self) -> str:
        """The user prompt."""
        return self.content_of("user")

    @property
    def model(self) -> str | None:
        """The requested model id."""
        return self.json.get("model") if isinstance(self.json, dict) else None


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    A 2xx reply with `body=None` is built as a chat completion from `content`,
    `finish_reason` and `usage`; any other `body` is sent as JSON verbatim; `raw_body`
    (bytes) is sent as-is and wins over both.
    """

    content: Any = "ok"
    status: int = 200
    finish_reason: str | None = "stop"
    usage: dict[str, Any] | None = field(default_factory=lambda: dict(DEFAULT_USAGE))
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: Any = None
    raw_body: bytes | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        """A normal answer with this message content."""
        return cls(content=content, **kwargs)

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        """A normal answer whose content is `obj` serialised as JSON."""
        return cls(content=json.dumps(obj), **kwargs)

    @classmethod
    def fenced(cls, obj: Any, *, prose: str = "Here is the analysis:", **kwargs: Any) -> Reply:
        """JSON inside a Markdown code fence, with prose around it (a common model habit)."""
        text = f"{prose}\n```json\n{json.dumps(obj, indent=2)}\n```\nHope this helps."
        return cls(content=text, **kwargs)

    @classmethod
    def truncated(cls, obj: Any, *, keep: float = 0.6, **kwargs: Any) -> Reply:
        """JSON cut after `keep` of its length (finish_reason stays 'stop', as some do)."""
        text = json.dumps(obj)
        return cls(content=text[: max(1, int(len(text) * keep))], **kwargs)

    @classmethod
    def length(cls, content: str, **kwargs: Any) -> Reply:
        """An answer stopped by the token limit (`finish_reason="length"`)."""
        return cls(content=content, finish_reason="length", **kwargs)

    @classmethod
    def content_parts(cls, *parts: str, **kwargs: Any) -> Reply:
        """Content as a list of `{"type": "text", "text": ...}` parts."""
        return cls(content=[{"type": "text", "text": part} for part in parts], **kwargs)

    @classmethod
    def null_content(cls, **kwargs: Any) -> Reply:
        """A message whose content is null."""
        return cls(content=None, **kwargs)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1, **kwargs: Any) -> Reply:
        """HTTP 429, with a `Retry-After` header unless `retry_after` is None."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        headers.update(kwargs.pop("headers", {}))
        body = {"error": {"message": "Rate limit exceeded", "code": 429}}
        return cls(status=429, headers=headers, body=body, **kwargs)

    @classmethod
    def http_error(cls, status: int, message: str | None = None, **kwargs: Any) -> Reply:
        """An HTTP error (500, 401, 402, ...) with an OpenAI-shaped error body."""
        text = message or {401: "No auth credentials found", 402: "Insufficient credits"}.get(
            status, "Internal Server Error"
        )
        return cls(status=status, body={"error": {"message": text, "code": status}}, **kwargs)

    @classmethod
    def error_in_200(cls, message: str = "Upstream provider error", code: int = 502) -> Reply:
        """OpenRouter's habit: HTTP 200 whose body is an `error` object, not a completion."""
        return cls(status=200, body={"error": {"message": message, "code": code}})

    @classmethod
    def garbage_body(cls, data: bytes = b"<html>Bad Gateway</html>", status: int = 200) -> Reply:
        """A body that is not JSON at all."""
        return cls(status=status, raw_body=data)

    @classmethod
    def slow(cls, delay: float, reply: Reply | None = None) -> Reply:
        """`reply` (default: a normal answer) after `delay` seconds."""
        return replace(reply or cls(), delay=delay)


ScriptEntry = Reply | Callable[[RecordedRequest], "Reply | str"]


def completion_body(reply: Reply, model: str | None, number: int) -> dict[str, Any]:
    """The OpenAI chat-completion JSON for a 2xx `reply` without an explicit body."""
    body: dict[str, Any] = {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000 + number,
        "model": model or "fake/model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
    }
    if reply.usage is not None:
        body["usage"] = reply.usage
    return body


class FakeLLMServer:
    """The fake endpoint. Use as `async with FakeLLMServer(script) as llm:`.

    Args:
        script: replies given in order, one per request.
        default: the reply once the script is exhausted (a plain "ok" answer if None).
    """

    def __init__(self, script: Iterable[ScriptEntry] = (), *, default: ScriptEntry | None = None):
        self.requests: list[RecordedRequest] = []
        self.default: ScriptEntry = default if default is not None else Reply()
        self._script: deque[ScriptEntry] = deque(script)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.root_url = ""

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> FakeLLMServer:
        app = web.Application()
        app.router.add_post("/chat/completions", self._handle)
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner, self.root_url = await serve(app, shutdown_timeout=1.0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (`.../v1`), as `ALPHA_LLM_BASE_URL` would be."""
        return self.root_url + "/v1"

    # ------------------------------------------------------------------ scripting
    def push(self, *entries: ScriptEntry) -> None:
        """Append replies to the script."""
        self._script.extend(entries)

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        return len(self._script)

    @property
    def request_count(self) -> int:
        """How many requests arrived (including those the client gave up on)."""
        return len(self.requests)

    # ------------------------------------------------------------------ handler
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = None
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        recorded = RecordedRequest(request.path, headers, raw, parsed)
        self.requests.append(recorded)
        entry = self._script.popleft() if self._script else self.default
        reply = entry if isinstance(entry, Reply) else entry(recorded)
        if isinstance(reply, str):
            reply = Reply.text(reply)
        if reply.delay > 0:
            # Wait for the delay or the server's shutdown, whichever comes first.
            try:
                async with asyncio.timeout(reply.delay):
                    await self._closing.wait()
            except TimeoutError:
                pass
        return self._response(reply, recorded.model)

    def _response(self, reply: Reply, model: str | None) -> web.Response:
        if reply.raw_body is not None:
            return web.Response(status=reply.status, body=reply.raw_body, headers=reply.headers)
        body = reply.body
        if body is None:
            body = completion_body(reply, model, len(self.requests))
        return web.json_response(body, status=reply.status, headers=reply.headers)


@pytest_asyncio.fixture
async def fake_llm_server() -> AsyncIterator[FakeLLMServer]:
    """A running `FakeLLMServer` with an empty script (push replies in the test)."""
    async with FakeLLMServer() as server:
        yield server

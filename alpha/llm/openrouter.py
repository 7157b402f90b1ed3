"""`OpenRouterClient`: chat completions from OpenRouter or any OpenAI-compatible endpoint.

The only module that imports `openai`. The SDK's own retries are off (`max_retries=0`):
the project's one retry policy (`alpha.core.http.RetryPolicy`, on tenacity) is the single
retry layer, so the number of requests is known and tested. Proxies and the CA bundle come
from the process's `NetworkPolicy`, like every other client's.

Retry policy (each attempt has its own deadline of `timeout` seconds):

- 429: retried up to `rate_limit_retries` times, waiting `Retry-After` (seconds,
  `retry-after-ms`, or an HTTP date read against the response's `Date` header). A wait
  longer than `max_retry_after` is not attempted: the call fails at once with
  `LLMRateLimitError(retry_after=...)`, so an agent can fall back instead of stalling.
- 408, 5xx, timeouts and connection errors: retried up to `retries` times with an
  exponential backoff with jitter (`backoff`, `2 * backoff`, ..., each up to `jitter` less).
- Any other status (400, 401, 402, 403, 404, 422, ...) is final: `LLMProviderError`.

Answers: a 2xx body carrying an `error` object is an `LLMProviderError` (retried as above
when its `code` is 408, 429 or 5xx, as OpenRouter uses it for upstream failures). Content is
normalised to `str` (null -> "", a list of parts -> their text joined). An answer stopped
by the token limit (`finish_reason == "length"`) raises `LLMOutputError` whose `raw` holds
the partial text, because a cut-off answer is never safe to use as if complete; the
structured-output helper treats it like invalid JSON (one repair call asking for brevity).
Usage (prompt/completion tokens, and OpenRouter's `usage.cost` in USD) is added to `usage`
and kept in `last_usage` whenever the provider reports it, truncated answers included.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import openai
from dotenv import dotenv_values

from alpha.core.errors import (
    ConfigurationError,
    LLMError,
    LLMOutputError,
    LLMProviderError,
    LLMRateLimitError,
    LLMTimeoutError,
)
from alpha.core.http import NetworkPolicy, Retryable, RetryPolicy
from alpha.llm.base import LLMClient
from alpha.llm.settings import OPENROUTER_BASE_URL, LLMSettings
from alpha.schemas import TokenUsage

Sleep = Callable[[float], Awaitable[None]]

# A local endpoint (vLLM, Ollama) needs no key, but the SDK insists on one.
PLACEHOLDER_API_KEY = "not-needed"
_RETRYABLE_STATUS = frozenset({408})
_ERROR_TEXT_LIMIT = 500


class _FromEnvironment:
    """The default of `OpenRouterClient(api_key=)`: read the key from the environment."""

    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT = _FromEnvironment()


def environment_api_key() -> str | None:
    """`OPENROUTER_API_KEY` from the environment, else from `./.env`; None when unset/blank.

    Read when a client is built (never at import time), as the original design asks.
    """
    key = os.environ.get("OPENROUTER_API_KEY")
    if key is None:
        key = dotenv_values(".env").get("OPENROUTER_API_KEY")
    return (key or "").strip() or None


class OpenRouterClient(LLMClient):
    """An `LLMClient` on `openai.AsyncOpenAI` with explicit timeout and a single retry layer.

    Args:
        model: the model id, e.g. `"anthropic/claude-sonnet-4-6"`.
        api_key: the key; when omitted, `OPENROUTER_API_KEY` from the environment (or from a
            `.env` file in the working directory). May be None only when `base_url` names a
            non-OpenRouter endpoint.
        base_url: an OpenAI-compatible base URL; OpenRouter's when None.
        timeout: seconds allowed for one attempt.
        retries: extra attempts after a 5xx, 408, timeout or connection error.
        rate_limit_retries: extra attempts after a 429.
        max_retry_after: the longest `Retry-After` honoured, in seconds.
        backoff: first backoff delay in seconds (doubled per retry) when no wait is given.
        max_tokens: completion token limit sent with each request (None: provider default).
        temperature: sampling temperature (None: provider default).
        app_url: sent as `HTTP-Referer` (OpenRouter attribution).
        app_title: sent as `X-Title` (OpenRouter attribution).
        openrouter: whether the endpoint is OpenRouter (adds its provider-routing field to
            structured requests and requires a key); detected from the host when None.
        sleep: the coroutine used to wait between attempts (injected by tests).
        jitter: the random share of each backoff (0 for exact waits).
        network: proxies and CA bundle (the standard variables when None).
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None | _FromEnvironment = FROM_ENVIRONMENT,
        base_url: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        rate_limit_retries: int = 2,
        max_retry_after: float = 30.0,
        backoff: float = 0.5,
        max_tokens: int | None = None,
        temperature: float | None = None,
        app_url: str | None = None,
        app_title: str | None = None,
        openrouter: bool | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: float = 0.5,
        network: NetworkPolicy | None = None,
    ) -> None:
        super().__init__()
        if not model.strip():
            raise ConfigurationError(f"LLM model must not be blank, got {model!r}")
        if timeout <= 0:
            raise ConfigurationError(f"LLM timeout must be positive, got {timeout!r}")
        if retries < 0 or rate_limit_retries < 0:
            raise ConfigurationError(
                f"LLM retries must be >= 0, got {retries!r} and {rate_limit_retries!r}"
            )
        if isinstance(api_key, _FromEnvironment):
            api_key = environment_api_key()
        self.model = model
        self.base_url = (base_url or OPENROUTER_BASE_URL).rstrip("/")
        if openrouter is None:
            openrouter = (urlsplit(self.base_url).hostname or "").endswith("openrouter.ai")
        self.is_openrouter = openrouter
        if not api_key and self.is_openrouter:
            raise ConfigurationError(
                f"OPENROUTER_API_KEY is required for {self.base_url!r} "
                "(or set ALPHA_LLM_BASE_URL to another OpenAI-compatible endpoint)"
            )
        self.timeout = timeout
        self.retries = retries
        self.rate_limit_retries = rate_limit_retries
        self.max_retry_after = max_retry_after
        self.backoff = backoff
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._sleep = sleep
        self.policy = RetryPolicy(
            retries=retries,
            rate_limit_retries=rate_limit_retries,
            backoff=backoff,
            max_wait=max_retry_after,
            jitter=jitter,
            timeout=timeout,
        )
        network = network or NetworkPolicy()
        headers = {}
        if app_url:
            headers["HTTP-Referer"] = app_url
        if app_title:
            headers["X-Title"] = app_title
        context = network.ssl_context()
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_API_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,
            default_headers=headers or None,
            # The process's policy, not httpx's own reading of the environment.
            http_client=openai.DefaultAsyncHttpxClient(
                proxy=network.proxy_for(self.base_url),
                verify=context if context is not None else True,
                trust_env=False,
            ),
        )

    @classmethod
    def from_settings(
        cls,
        settings: LLMSettings,
        *,
        model: str | None = None,
        sleep: Sleep = asyncio.sleep,
        network: NetworkPolicy | None = None,
    ) -> OpenRouterClient:
        """Build a client from `LLMSettings`; `model` overrides `settings.model`."""
        chosen = model or settings.model
        if not chosen:
            raise ConfigurationError("no LLM model given: set ALPHA_LLM_MODEL or pass model=")
        return cls(
            chosen,
            api_key=settings.api_key(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            retries=settings.retries,
            max_retry_after=settings.max_retry_after,
            app_url=settings.app_url,
            app_title=settings.app_title,
            sleep=sleep,
            network=network,
        )

    async def aclose(self) -> None:
        """Close the underlying HTTP connection pool."""
        await self._client.close()

    async def __aenter__(self) -> OpenRouterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ LLMClient
    async def complete(self, system: str, user: str) -> str:
        """Return the model's answer as text (see the module docstring for failures)."""
        return await self._complete(system, user, None)

    async def complete_json(self, system: str, user: str, schema: dict[str, object]) -> str:
        """Like `complete`, with a `json_schema` response format built from `schema`."""
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": _schema_name(schema),
                "strict": is_strict_schema(schema),
                "schema": schema,
            },
        }
        return await self._complete(system, user, response_format)

    # ------------------------------------------------------------------ internals
    def _describe(self) -> str:
        return f"chat completion at {self.base_url!r} (model {self.model!r})"

    def _request(self, system: str, user: str, response_format: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        }
        if self.max_tokens is not None:
            request["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if response_format is not None:
            request["response_format"] = response_format
            if self.is_openrouter:
                # Without this OpenRouter may route to a provider that ignores the schema.
                request["extra_body"] = {"provider": {"require_parameters": True}}
        return request

    async def _complete(self, system: str, user: str, response_format: Any) -> str:
        request = self._request(system, user, response_format)

        def final(failure: Retryable, tries: int) -> BaseException:
            wait = failure.wait
            if failure.rate_limited and wait is not None and wait > self.max_retry_after:
                note = f"Retry-After {wait!r}s exceeds the {self.max_retry_after!r}s cap"
            else:
                note = f"after {tries} tries"
            error = failure.error
            assert isinstance(error, LLMError)
            return _final(error, note)

        return await self.policy.call(
            lambda: self._attempt(request), sleep=self._sleep, final=final
        )

    async def _attempt(self, request: dict[str, Any]) -> str:
        """One HTTP request; a retryable failure raises `Retryable`, a final one LLMError."""
        where = self._describe()
        try:
            # The SDK's timeout is per socket operation; this bounds the whole attempt.
            async with asyncio.timeout(self.timeout):
                raw = await self._client.chat.completions.with_raw_response.create(**request)
        except (TimeoutError, openai.APITimeoutError):
            error = LLMTimeoutError(f"{where}: no answer within {self.timeout!r}s")
            raise Retryable(error) from None
        except openai.APIStatusError as exc:
            raise _status_failure(where, exc) from None
        except openai.APIConnectionError as exc:
            raise Retryable(LLMProviderError(f"{where}: connection failed: {exc!r}")) from None
        try:
            body = raw.http_response.json()
        except ValueError:
            text = raw.http_response.text[:_ERROR_TEXT_LIMIT]
            status = raw.http_response.status_code
            raise LLMProviderError(f"{where}: body is not JSON: {text!r}", status=status) from None
        return self._read_completion(where, body)

    def _read_completion(self, where: str, body: object) -> str:
        if not isinstance(body, Mapping):
            raise LLMProviderError(f"{where}: body is not an object: {_clip(body)!r}", status=200)
        if body.get("error"):
            raise _error_object_failure(where, body["error"])
        self._record_usage(body.get("usage"))
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
            raise LLMProviderError(f"{where}: no choices in {_clip(body)!r}", status=200)
        choice = choices[0]
        if choice.get("error"):
            raise LLMProviderError(f"{where}: provider error {_clip(choice['error'])!r}", 200)
        message = choice.get("message")
        message = message if isinstance(message, Mapping) else {}
        text = normalise_content(message.get("content"))
        finish = choice.get("finish_reason")
        if finish == "length":
            raise LLMOutputError(
                f"{where}: answer truncated at the token limit (finish_reason='length')", raw=text
            )
        if finish == "content_filter" or (not text and message.get("refusal")):
            reason = message.get("refusal") or finish
            raise LLMOutputError(f"{where}: answer withheld: {reason!r}", raw=text)
        return text

    def _record_usage(self, usage: object) -> None:
        record = TokenUsage(calls=1)
        if isinstance(usage, Mapping):
            cost = usage.get("cost")
            record = TokenUsage(
                prompt_tokens=_int(usage.get("prompt_tokens")),
                completion_tokens=_int(usage.get("completion_tokens")),
                cost_usd=float(cost) if isinstance(cost, int | float) else None,
                calls=1,
            )
        self.last_usage = record
        self.usage = self.usage.add(record)


# ---------------------------------------------------------------------- pure helpers


def normalise_content(content: object) -> str:
    """The message content as text: None -> "", a list of parts -> their text joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return json.dumps(content) if isinstance(content, Mapping) else str(content)


def is_strict_schema(schema: Mapping[str, object]) -> bool:
    """True when `schema` meets OpenAI's strict mode (closed objects, every key required).

    Sending `strict: true` with a schema that does not (Pydantic's defaults make optional
    keys) gets a 400 from OpenAI-compatible providers, so strict is only claimed when true.
    """
    stack: list[object] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("type") == "object" or "properties" in node:
                props = node.get("properties")
                keys = set(props) if isinstance(props, Mapping) else set()
                required = node.get("required")
                required_keys = set(required) if isinstance(required, list) else set()
                if node.get("additionalProperties") is not False or keys != required_keys:
                    return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _schema_name(schema: Mapping[str, object]) -> str:
    title = schema.get("title")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title if isinstance(title, str) else "")[:64]
    return name or "answer"


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After` (seconds or HTTP date), or None.

    An HTTP date is read against the response's own `Date` header, so no clock is needed.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(lowered["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - now).total_seconds())


def _status_failure(where: str, exc: openai.APIStatusError) -> Exception:
    status = exc.status_code
    upstream = exc.body if exc.body is not None else exc.message
    message = f"{where}: HTTP {status}: {_clip(upstream)!r}"
    if status == 429:
        wait = parse_retry_after(exc.response.headers)
        return Retryable(LLMRateLimitError(message, retry_after=wait), wait, rate_limited=True)
    if status in _RETRYABLE_STATUS or status >= 500:
        return Retryable(LLMProviderError(message, status=status))
    return LLMProviderError(message, status=status)


def _error_object_failure(where: str, error: object) -> Exception:
    """A 2xx body carrying `error`: retried like the HTTP status its `code` names, if any.

    OpenRouter reports upstream failures this way (e.g. code 502 from the chosen provider),
    so a transient one deserves the same retries as a real 5xx; anything else is final.
    """
    code = error.get("code") if isinstance(error, Mapping) else None
    status = code if isinstance(code, int) and not isinstance(code, bool) else 200
    message = f"{where}: provider error in a 200 answer: {_clip(error)!r}"
    if status == 429:
        return Retryable(LLMRateLimitError(message), rate_limited=True)
    if status in _RETRYABLE_STATUS or status >= 500:
        return Retryable(LLMProviderError(message, status=status))
    return LLMProviderError(message, status=status)


def _final(error: LLMError, note: str) -> LLMError:
    """The error to raise once retries are spent, with how many tries in the message."""
    message = f"{error} ({note})"
    if isinstance(error, LLMRateLimitError):
        return LLMRateLimitError(message, retry_after=error.retry_after)
    if isinstance(error, LLMProviderError):
        return LLMProviderError(message, status=error.status)
    return type(error)(message)


def _clip(value: object) -> object:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _ERROR_TEXT_LIMIT else text[:_ERROR_TEXT_LIMIT] + "..."


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

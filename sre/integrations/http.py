"""Shared HTTP plumbing for the live sources: typed upstream errors, rate-limit waits and
`Link` pagination, on the project's one retry and network policy (`alpha.core.http`).

`request_json` is the one place that talks to aiohttp for Sentry: through the
`RetryPolicy` (tenacity, exponential backoff with jitter) it retries 429, 5xx, timeouts
and connection errors (never 4xx), honours `Retry-After` and Sentry's
`X-Sentry-Rate-Limit-Reset`, goes through the proxy `NetworkPolicy.proxy_for` names, and
turns the final failure into an `UpstreamError` whose `describe()` is the sentence shown to
the user. GitHub's calls use the same policy (`sre.integrations.github`).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import aiohttp

from alpha.core.errors import IntegrationError, NotFoundError
from alpha.core.http import NetworkPolicy, Retryable, RetryPolicy

__all__ = [
    "NetworkPolicy",
    "RetryPolicy",
    "UpstreamError",
    "UpstreamNotFound",
    "next_page_url",
    "parse_link_header",
    "rate_limit_wait",
    "request_json",
    "unwrap_upstream",
]

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

FailureKind = Literal["auth", "not_found", "rate_limited", "server", "timeout", "network", "client"]


class UpstreamError(IntegrationError):
    """A source answered with an error (or not at all) after the retry budget.

    Attributes:
        kind: what went wrong, for the user-facing sentence.
        status: the last HTTP status, if any.
        attempts: how many requests were made.
        request: method and URL path (never query secrets or headers).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind,
        status: int | None = None,
        attempts: int = 1,
        request: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.attempts = attempts
        self.request = request

    def describe(self, source: str, token_setting: str) -> str:
        """The gap sentence shown to the user, e.g. `Sentry unreachable: HTTP 503 after 3 tries`."""
        tries = f"{self.attempts} {'try' if self.attempts == 1 else 'tries'}"
        if self.kind == "auth":
            return f"{source}: authentication failed (HTTP {self.status}) — check {token_setting}"
        if self.kind == "rate_limited":
            return f"{source} rate-limited: HTTP {self.status} after {tries}"
        if self.kind == "server":
            return f"{source} unreachable: HTTP {self.status} after {tries}"
        if self.kind == "timeout":
            return f"{source} unreachable: timed out after {tries}"
        if self.kind == "network":
            return f"{source} unreachable: {self} after {tries}"
        if self.kind == "not_found":
            return f"{source}: not found (HTTP 404): {self.request}"
        return f"{source}: request failed (HTTP {self.status}): {self}"


class UpstreamNotFound(UpstreamError, NotFoundError):
    """HTTP 404: the thing asked for does not exist upstream."""


# `[^<>]`, not `[^>]`: from every `<` the old form scanned to the next `>`, so a header of
# `<<<<...` was quadratic (10,000 chars: 1.2 s). A URL never holds a raw `<` (RFC 3986).
_LINK_RE = re.compile(r"<([^<>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:\"[^\"]*\"|[^;,\s]*))*)")
_PARAM_RE = re.compile(r";\s*([\w-]+)\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*))")


def parse_link_header(header: str) -> list[tuple[str, dict[str, str]]]:
    """Parse an RFC 8288 `Link` header into `(url, params)` pairs, in order.

    Malformed parts are skipped rather than raised: a broken header ends pagination.
    """
    links: list[tuple[str, dict[str, str]]] = []
    for match in _LINK_RE.finditer(header):
        params = {
            m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _PARAM_RE.finditer(match.group(2))
        }
        links.append((match.group(1), params))
    return links


def next_page_url(header: str | None) -> str | None:
    """The `rel="next"` URL of a Sentry `Link` header, or None when there are no more results.

    Sentry always sends a next link; `results="false"` says it leads nowhere.
    """
    if not header:
        return None
    for url, params in parse_link_header(header):
        if params.get("rel") == "next":
            if params.get("results", "true").lower() == "false":
                return None
            return url or None
    return None


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asks us to wait, from `Retry-After` or `X-Sentry-Rate-Limit-Reset`.

    Args:
        headers: response headers (case-insensitive mapping or plain dict).
        now: the current epoch time, injected so the computation stays pure.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    retry_after = lowered.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass  # an unreadable hint: fall through to the other header / backoff
    reset = lowered.get("x-sentry-rate-limit-reset") or lowered.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def _redacted_path(url: str) -> str:
    """Method-agnostic request label without the query string (cursors, tokens)."""
    return url.split("?", 1)[0]


async def request_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    params: Mapping[str, str | list[str]] | None = None,
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.time,
    proxy: str | None = None,
) -> tuple[Any, Mapping[str, str]]:
    """GET `url` and decode its JSON body, retrying what is worth retrying.

    Args:
        proxy: the proxy to go through (`NetworkPolicy.proxy_for(url)`), or None.

    Returns:
        The decoded body and the response headers.

    Raises:
        UpstreamNotFound: on 404.
        UpstreamError: on 401/403 (kind `auth`), other 4xx, or when 429/5xx/timeouts persist
            past `policy.retries` retries (or a wait past `policy.max_wait` is asked for).
    """
    label = f"GET {_redacted_path(url)}"
    query: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        values = value if isinstance(value, list) else [value]
        query.extend((key, v) for v in values)
    attempts = 0

    async def attempt() -> tuple[Any, Mapping[str, str]]:
        nonlocal attempts
        attempts += 1
        return await _attempt(session, url, query, policy, label, attempts, clock, proxy)

    return await policy.call(attempt, sleep=sleep)


async def _attempt(
    session: aiohttp.ClientSession,
    url: str,
    query: list[tuple[str, str]],
    policy: RetryPolicy,
    label: str,
    attempts: int,
    clock: Clock,
    proxy: str | None,
) -> tuple[Any, Mapping[str, str]]:
    """One request: the decoded body and headers; raises `Retryable` for a failure worth
    another try, `UpstreamError` for a final one."""
    timeout = aiohttp.ClientTimeout(total=policy.timeout)
    try:
        async with session.get(url, params=query or None, timeout=timeout, proxy=proxy) as resp:
            status = resp.status
            headers = dict(resp.headers)
            if 200 <= status < 300:
                try:
                    body = await resp.json(content_type=None)
                except ValueError as exc:
                    raise UpstreamError(
                        f"{label}: response is not JSON ({exc})",
                        kind="client",
                        status=status,
                        attempts=attempts,
                        request=label,
                    ) from exc
                return body, headers
            text = (await resp.text())[:200]
    except TimeoutError:
        raise Retryable(
            UpstreamError(f"{label}: timed out", kind="timeout", attempts=attempts, request=label)
        ) from None
    except aiohttp.ClientError as exc:
        raise Retryable(
            UpstreamError(
                f"connection failed ({type(exc).__name__})",
                kind="network",
                attempts=attempts,
                request=label,
            )
        ) from None
    message = f"{label}: HTTP {status}: {text!r}"

    def failure(kind: FailureKind, cls: type[UpstreamError] = UpstreamError) -> UpstreamError:
        return cls(message, kind=kind, status=status, attempts=attempts, request=label)

    if status == 404:
        raise failure("not_found", UpstreamNotFound)
    if status in (403, 429):
        # A 403 that carries a rate-limit wait is a rate limit, not a refusal.
        wait = rate_limit_wait(headers, clock())
        if status == 429 or wait is not None:
            raise Retryable(failure("rate_limited"), wait)
    if status in (401, 403):
        raise failure("auth")
    if status >= 500:
        raise Retryable(failure("server"))
    raise failure("client")


def unwrap_upstream(group: BaseExceptionGroup[BaseException]) -> UpstreamError | None:
    """The first `UpstreamError` of a TaskGroup's failure when all its failures are ours.

    Lets concurrent fetches fail with one plain, describable error; a group holding anything
    else (a bug) is left for the caller to re-raise untouched.
    """
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseExceptionGroup):
            pending.extend(reversed(current.exceptions))
        else:
            leaves.append(current)
    if leaves and all(isinstance(leaf, UpstreamError) for leaf in leaves):
        first = leaves[0]
        assert isinstance(first, UpstreamError)
        return first
    return None

"""One HTTP policy for every client: proxies, CA bundle, and one retry policy.

Clients: the LLM (`openai` on httpx), Sentry (aiohttp), GitHub (PyGithub on requests) and
Slack (`slack_sdk` on aiohttp). Each library has its own idea of proxies, certificates and
retries; this module gives them one.

- **Proxies**: the standard variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`,
  either case), read the way `urllib` reads them, for every client: `proxy_for(url)`.
- **CA bundle**: `ALPHA_CA_BUNDLE`, else `SSL_CERT_FILE`, else `REQUESTS_CA_BUNDLE` (a
  corporate proxy's root, a private Sentry's CA): `NetworkPolicy.ssl_context()` for aiohttp
  and httpx, `NetworkPolicy.verify` for requests. With none, each client keeps its default.
- **Retries**: `RetryPolicy` on tenacity: what to retry is said by raising `Retryable`
  (with the server's requested wait, if any); waits are exponential with jitter (so that
  many clients failing together do not retry together), a server's `Retry-After` is honoured
  as is, and one longer than `max_wait` ends the retries at once.

`NetworkPolicy.from_environment()` is read once, at an entry point, and passed down.
"""

from __future__ import annotations

import os
import random
import ssl
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from alpha.core.errors import ConfigurationError

__all__ = [
    "NetworkPolicy",
    "RetryPolicy",
    "Retryable",
    "proxy_for",
]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

# The variables that name a CA bundle, in the order they are honoured.
CA_VARIABLES = ("ALPHA_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy a request to `url` goes through, from the standard variables (None: none).

    `NO_PROXY` is honoured (host suffixes, `*`); `ALL_PROXY` is the fallback for any scheme.
    """
    env = dict(os.environ if environ is None else environ)
    proxies = {
        key[: -len("_proxy")].lower(): value
        for key, value in env.items()
        if key.lower().endswith("_proxy") and value and key.lower() != "no_proxy"
    }
    parts = urlsplit(url)
    host = parts.hostname or ""
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    if no_proxy and _bypassed(host, parts.port, no_proxy):
        return None
    return proxies.get(parts.scheme) or proxies.get("all") or None


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """urllib's own `NO_PROXY` rules (host suffixes, ports, `*`), on the value given."""
    if no_proxy.strip() == "*":
        return True
    # Not in typeshed, but public in CPython since 3.3: the rules, with `proxies` given.
    bypass = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009
    return bool(bypass(f"{host}:{port}" if port else host, {"no": no_proxy}))


@dataclass(frozen=True)
class NetworkPolicy:
    """Proxies and certificates for every HTTP client of the process.

    Attributes:
        ca_bundle: a PEM file of trusted CAs, or None for each client's default.
        environ: the environment proxies are read from (the process's when None).
    """

    ca_bundle: str | None = None
    environ: Mapping[str, str] | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> NetworkPolicy:
        """Read the CA bundle setting once (see the module docstring).

        Raises:
            ConfigurationError: the named CA bundle does not exist.
        """
        env = os.environ if environ is None else environ
        # A snapshot: the policy does not change under a running process.
        proxies = {k: v for k, v in env.items() if k.lower().endswith("_proxy")}
        for name in CA_VARIABLES:
            path = (env.get(name) or "").strip()
            if path:
                if not os.path.isfile(path):
                    raise ConfigurationError(f"{name}: no such CA bundle file: {path!r}")
                return cls(ca_bundle=path, environ=proxies)
        return cls(environ=proxies)

    def proxy_for(self, url: str) -> str | None:
        """The proxy for `url` (see `proxy_for`)."""
        return proxy_for(url, self.environ)

    def ssl_context(self) -> ssl.SSLContext | None:
        """A context trusting the CA bundle; None leaves the client's default."""
        if self.ca_bundle is None:
            return None
        return ssl.create_default_context(cafile=self.ca_bundle)

    @property
    def verify(self) -> str | bool:
        """`requests`' `verify`: the CA bundle's path, or True for its default."""
        return self.ca_bundle or True


class Retryable(Exception):
    """A failed attempt worth repeating; `error` is what to raise when retries run out.

    Args:
        error: the typed error of this attempt.
        wait: seconds the server asked us to wait (`Retry-After`), or None.
        rate_limited: the server throttled us (counted against `rate_limit_retries`).
    """

    def __init__(
        self, error: Exception, wait: float | None = None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait
        self.rate_limited = rate_limited


# Builds the error raised when retries run out, from the last failure and the tries made.
Final = Callable[[Retryable, int], BaseException] | None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request, for every client.

    Attributes:
        retries: extra attempts after a retryable failure (so 2 means up to 3 tries).
        rate_limit_retries: extra attempts after a throttled one (429); `retries` when None.
        backoff: the first wait when the server gave none, doubled per retry.
        max_wait: the longest single wait; a server asking for longer ends the retries.
        jitter: the share of each backoff that is random (0: exact, 0.5: 50-100 %).
        timeout: seconds for one attempt (the clients apply it).
        random: the random source of the jitter (injected by tests).
    """

    retries: int = 2
    rate_limit_retries: int | None = None
    backoff: float = 0.5
    max_wait: float = 30.0
    jitter: float = 0.5
    timeout: float = 15.0
    random: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.retries < 0 or (self.rate_limit_retries or 0) < 0:
            raise ConfigurationError(f"retries must be >= 0, got {self.retries!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ConfigurationError(f"retry jitter must be in [0, 1], got {self.jitter!r}")

    def backoff_for(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based) when the server gave none."""
        base = min(self.max_wait, self.backoff * (2 ** (retry - 1)))
        return float(base * (1.0 - self.jitter * self.random()))

    def _options(self) -> dict[str, Any]:
        return {
            "stop": _Budget(self),
            "wait": _ServerOrBackoff(self),
            "retry": retry_if_exception_type(Retryable),
            "reraise": True,
        }

    async def call(
        self, attempt: Callable[[], Awaitable[T]], *, sleep: Sleep, final: Final = None
    ) -> T:
        """Run `attempt` until it returns, raising `Retryable` for what may be retried.

        Args:
            attempt: one try.
            sleep: the wait between tries (injected by tests).
            final: builds the error raised once the budget is spent from the last failure
                and the number of tries (default: the failure's own `error`).

        Raises:
            The final error once the budget is spent; any other exception at once.
        """
        tries = 0
        try:
            async for trying in AsyncRetrying(sleep=sleep, **self._options()):
                tries = trying.retry_state.attempt_number
                with trying:
                    return await attempt()
        except Retryable as failure:
            raise (final(failure, tries) if final else failure.error) from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity always yields

    def call_sync(
        self, attempt: Callable[[], T], *, sleep: Callable[[float], None], final: Final = None
    ) -> T:
        """`call` for blocking clients (PyGithub, in a worker thread)."""
        tries = 0
        try:
            for trying in Retrying(sleep=sleep, **self._options()):
                tries = trying.retry_state.attempt_number
                with trying:
                    return attempt()
        except Retryable as failure:
            raise (final(failure, tries) if final else failure.error) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _failure(state: RetryCallState) -> Retryable | None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None and outcome.failed else None
    return error if isinstance(error, Retryable) else None


class _Budget(stop_base):
    """Stop when the kind of failure has used its retries, or the server asks too much."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.failures = 0
        self.throttled = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        failure = _failure(retry_state)
        if failure is None:
            return True
        policy = self.policy
        if failure.wait is not None and failure.wait > policy.max_wait:
            return True  # longer than we may block an investigation
        if failure.rate_limited:
            self.throttled += 1
            limit = (
                policy.retries if policy.rate_limit_retries is None else policy.rate_limit_retries
            )
            return self.throttled > limit
        self.failures += 1
        return self.failures > policy.retries


class _ServerOrBackoff(wait_base):
    """The server's requested wait when it gave one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = _failure(retry_state)
        if failure is not None and failure.wait is not None:
            return failure.wait
        return self.policy.backoff_for(retry_state.attempt_number)

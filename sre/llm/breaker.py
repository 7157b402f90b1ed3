"""A circuit breaker per LLM provider, shared by every investigation of one process.

When a provider keeps failing (timeouts, 5xx, 429 after retries), asking it again only
adds latency to every agent of every investigation. After `failures` consecutive provider
failures the breaker opens and calls are refused at once (the agents fall back to their
rules); after `cooldown` seconds one trial call is let through (half-open): its success
closes the breaker, its failure opens it for another cooldown. A refusal of the account
itself (HTTP 401, 402, 403) opens the breaker at once: it will not heal by retrying.

The clock is injected so tests step time instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Counts consecutive failures of one provider and refuses calls while open.

    Args:
        failures: Consecutive failures that open the breaker.
        cooldown: Seconds an open breaker refuses calls before allowing one trial.
        clock: Monotonic seconds.
    """

    failures: int = 3
    cooldown: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _consecutive: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)
    _trial_running: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.failures < 1:
            raise ValueError(f"failures must be >= 1, got {self.failures!r}")
        if self.cooldown < 0:
            raise ValueError(f"cooldown must be >= 0, got {self.cooldown!r}")

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker past its cooldown reads as half-open)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._consecutive

    def allow(self) -> bool:
        """Whether a call may start now; a half-open breaker lets exactly one through."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        """The provider answered (even if the answer was unusable): close the breaker."""
        self._consecutive = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self, *, fatal: bool = False) -> None:
        """The provider failed; `fatal` (an account refusal) opens the breaker at once."""
        self._consecutive += 1
        self._trial_running = False
        if fatal or self._consecutive >= self.failures or self._opened_at is not None:
            self._opened_at = self.clock()

    def release(self) -> None:
        """A call that was allowed ended without reaching the provider (cancelled, capped)."""
        self._trial_running = False

    def retry_in(self) -> float:
        """Seconds until an open breaker allows a trial call (0 when not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self.clock() - self._opened_at))


@dataclass
class BreakerBoard:
    """One breaker per provider base URL, created on first use with the same policy."""

    failures: int = 3
    cooldown: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict, init=False)

    def for_provider(self, base_url: str) -> CircuitBreaker:
        """The breaker of this provider (its base URL without a trailing slash)."""
        key = base_url.rstrip("/")
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = CircuitBreaker(self.failures, self.cooldown, self.clock)
            self._breakers[key] = breaker
        return breaker

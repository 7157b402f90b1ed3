"""The per-provider circuit breaker and the token accounting helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.llm.breaker import BreakerBoard, BreakerState, CircuitBreaker
from sre.llm.budget import TokenCap, estimate_tokens, truncate_lines, truncate_to_tokens


class Clock:
    """A hand-stepped monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_only() -> None:
    """N consecutive failures open the breaker; a success in between resets the count."""
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow() and breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(10)


def test_breaker_half_opens_after_cooldown_with_one_trial() -> None:
    """After the cooldown exactly one trial call is allowed; its outcome decides."""
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN  # the failed trial re-opens it
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_account_refusal_opens_at_once() -> None:
    """A fatal failure (401/402) opens the breaker without waiting for the threshold."""
    breaker = CircuitBreaker(failures=5, cooldown=60, clock=Clock())
    breaker.record_failure(fatal=True)
    assert breaker.state is BreakerState.OPEN


def test_board_gives_one_breaker_per_provider() -> None:
    """Breakers are keyed by base URL (trailing slash ignored)."""
    board = BreakerBoard(failures=1, cooldown=5, clock=Clock())
    a = board.for_provider("http://127.0.0.1:1/v1/")
    assert board.for_provider("http://127.0.0.1:1/v1") is a
    assert board.for_provider("https://openrouter.ai/api/v1") is not a


def test_breaker_refuses_bad_policy() -> None:
    """A zero threshold or negative cooldown is refused."""
    with pytest.raises(ValueError, match="failures"):
        CircuitBreaker(failures=0)
    with pytest.raises(ValueError, match="cooldown"):
        CircuitBreaker(cooldown=-1)


def test_token_cap_refuses_past_the_limit_and_settles() -> None:
    """Reservations beyond the cap are refused and named; settling returns the unused part."""
    cap = TokenCap(1_000)
    assert cap.reserve(600, "LogAgent")
    assert not cap.reserve(500, "MetricsAgent")
    cap.settle(600, 100)
    assert cap.used == 100 and cap.remaining == 900
    assert cap.reserve(500, "MetricsAgent")
    assert cap.refused == ["MetricsAgent"]


@given(st.text(max_size=2_000), st.integers(min_value=20, max_value=400))
def test_truncate_to_tokens_fits(text: str, limit: int) -> None:
    """A truncated text's estimate never exceeds the limit."""
    assert estimate_tokens(truncate_to_tokens(text, limit)) <= limit


@given(st.lists(st.text(max_size=200), max_size=60), st.integers(min_value=30, max_value=400))
def test_truncate_lines_fits_and_counts(lines: list[str], limit: int) -> None:
    """Whole lines are kept within the limit and the rest are counted."""
    text = "\n".join(line.replace("\n", " ") for line in lines)
    out = truncate_lines(text, limit)
    assert estimate_tokens(out) <= limit
    if out != text:
        assert "more lines not shown" in out or "[truncated]" in out

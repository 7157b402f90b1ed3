"""Throttled, coalescing `chat.update` for one Slack message.

Runtime events arrive far faster than Slack accepts edits (`chat.update` is Tier 3, about
50 a minute per workspace), so the publisher keeps only the newest state and sends it at
most once per `interval`. A 429 is honoured: nothing is sent before `Retry-After` has passed,
and what is sent then is the newest state, not the refused one. `close(final)` returns only
once the final state has landed (or the retry budget for it is spent).

The client given here should not carry slack_sdk's `AsyncRateLimitErrorRetryHandler`:
that handler would resend the stale state after the wait instead of the newest one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import Message, text_only

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Errors that resending the same blocks cannot fix: fall back to the text alone.
_BLOCK_ERRORS = {"invalid_blocks", "msg_blocks_too_long", "invalid_blocks_format"}


@dataclass
class PublisherStats:
    """What the publisher did, for logs, tests and the load benchmark."""

    updates_sent: int = 0
    rate_limited: int = 0
    errors: int = 0
    sent_at: list[float] = field(default_factory=list)
    final_landed: bool = False


class ThrottledPublisher:
    """Coalesces states of one message into at most one `chat.update` per interval.

    Args:
        client: a Slack Web API client (without the 429 retry handler, see module doc).
        channel: the channel id of the message.
        ts: the message's `ts`.
        interval: minimum seconds between two updates of this message.
        clock: monotonic seconds; injected so tests control time.
        sleep: awaits a number of seconds; injected alongside `clock`.
        final_attempts: how many times the final state is tried on non-429 errors.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        channel: str,
        ts: str,
        *,
        interval: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        final_attempts: int = 5,
    ) -> None:
        self._client = client
        self.channel = channel
        self.ts = ts
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._final_attempts = final_attempts
        self._latest: Message | None = None
        self._final: Message | None = None
        self._closed = False
        self._wake = asyncio.Event()
        self._not_before = float("-inf")
        self.stats = PublisherStats()

    def submit(self, message: Message) -> None:
        """Offer a new state; it replaces any state not yet sent."""
        if self._closed:
            return
        self._latest = message
        self._wake.set()

    def finish(self, final: Message) -> None:
        """Make `final` the last state: `run()` sends it (throttle and 429s honoured), then ends."""
        self._final = final
        self._latest = None
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        """The sending loop; run it in a task next to the investigation until `close`."""
        final_failures = 0
        final_tries = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            delay = self._not_before - self._clock()
            if delay > 0:
                await self._sleep(delay)
            message, is_final = self._take()
            if message is None:
                if self._closed:
                    return
                continue
            outcome = await self._send(message)
            if outcome == "sent":
                if is_final:
                    self.stats.final_landed = True
                    return
                continue
            if is_final:
                final_tries += 1
                final_failures += outcome != "ratelimited"
                if (
                    final_failures >= self._final_attempts
                    or final_tries >= 4 * self._final_attempts
                ):
                    log.error("final update of %s/%s never landed", self.channel, self.ts)
                    return
                self._not_before = max(self._not_before, self._clock() + self._interval)
            elif outcome == "ratelimited" and self._latest is None:
                # Nothing newer arrived while we waited: the refused state is still the newest.
                self._latest = message
            if self._latest is not None or self._final is not None:
                self._wake.set()

    def _take(self) -> tuple[Message | None, bool]:
        if self._final is not None:
            return self._final, True
        message, self._latest = self._latest, None
        return message, False

    async def _send(self, message: Message) -> str:
        started = self._clock()
        try:
            await self._client.chat_update(
                channel=self.channel, ts=self.ts, text=message.text, blocks=message.blocks
            )
        except SlackApiError as error:
            self._not_before = self._clock() + self._interval
            return self._handle_error(error, message)
        except (aiohttp.ClientError, TimeoutError) as error:
            # Slack unreachable: like a server error, the newest state is tried again later.
            self._not_before = self._clock() + self._interval
            self.stats.errors += 1
            log.warning("chat.update failed: %s", type(error).__name__)
            return "error"
        # Counted from the answer, not the request: Slack sees two updates of this message
        # at least `interval` apart however long a request takes to arrive.
        self._not_before = self._clock() + self._interval
        self.stats.updates_sent += 1
        self.stats.sent_at.append(started)
        return "sent"

    def _handle_error(self, error: SlackApiError, message: Message) -> str:
        response = error.response
        code = response.get("error") if isinstance(response.data, dict) else None
        if response.status_code == 429 or code == "ratelimited":
            self.stats.rate_limited += 1
            retry_after = _retry_after(response.headers)
            self._not_before = max(self._not_before, self._clock() + retry_after)
            log.info("chat.update rate limited; retrying after %.1f s", retry_after)
            return "ratelimited"
        self.stats.errors += 1
        log.warning("chat.update failed: %s", code or response.status_code)
        fallback = text_only(message.text)
        if code in _BLOCK_ERRORS and message.blocks != fallback.blocks:
            # Keep the message useful: the text fallback still tells the story. It goes in one
            # plain section because an update without blocks would keep the old ones.
            if self._final is message:
                self._final = fallback
            elif self._latest is None:
                self._latest = fallback
        return "error"


def _retry_after(headers: object) -> float:
    """Seconds from a `Retry-After` header (case-insensitive), defaulting to 1, capped at 60."""
    items = getattr(headers, "items", None)
    if items is None:
        return 1.0
    for key, value in items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, min(float(raw), 60.0))
            except (TypeError, ValueError):
                return 1.0
    return 1.0

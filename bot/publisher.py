"""Throttled, coalescing `chat.update` for one Slack message, whose final state always lands.

Runtime events arrive far faster than Slack accepts edits (`chat.update` is Tier 3, about
50 a minute per workspace), so the publisher keeps only the newest state and sends it at
most once per `interval`. A 429 is honoured: nothing is sent before `Retry-After` has passed,
and what is sent then is the newest state, not the refused one.

The final state is delivered with retries for minutes: after a 429 it waits `Retry-After`,
after a server error, an unreadable answer or a dropped connection it backs off
exponentially (tenacity's `wait_exponential`, capped at `MAX_BACKOFF_S`), until it lands or
`final_deadline` seconds have passed since the run finished. An error that waiting cannot
fix (the message is gone, the token revoked) ends the attempts at once. `run()` returns
either way; `stats.final_landed` says which, so the runner can fall back to a new message.

The client given here should not carry slack_sdk's `AsyncRateLimitErrorRetryHandler`:
that handler would resend the stale state after the wait instead of the newest one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    wait_exponential,
)

from bot.blocks import Message, text_only
from bot.slack_calls import SlackCallFailed, slack_call

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Errors that resending the same blocks cannot fix: fall back to the text alone.
_BLOCK_ERRORS = {"invalid_blocks", "msg_blocks_too_long", "invalid_blocks_format"}
# Errors that no amount of waiting fixes: the final state goes another way at once.
PERMANENT_ERRORS = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
    }
)
# How long the final state is retried (a Slack incident rarely lasts longer), and the
# longest single pause between two tries of it.
FINAL_DEADLINE_S = 600.0
MAX_BACKOFF_S = 30.0


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
        final_deadline: seconds the final state is retried for before `run()` gives up.
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
        final_deadline: float = FINAL_DEADLINE_S,
    ) -> None:
        self._client = client
        self.channel = channel
        self.ts = ts
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._final_deadline = final_deadline
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

    @property
    def final(self) -> Message | None:
        """The final state (after a text-only fallback, if Slack refused its blocks)."""
        return self._final

    async def run(self) -> None:
        """The sending loop; run it in a task next to the investigation until `finish`."""
        while self._final is None:
            await self._wake.wait()
            self._wake.clear()
            delay = self._not_before - self._clock()
            if delay > 0:
                await self._sleep(delay)
            if self._final is not None:
                break
            message, self._latest = self._latest, None
            if message is None:
                continue
            try:
                await self._send(message)
            except SlackCallFailed as error:
                self._note_failure(error, message)
                if error.rate_limited and self._latest is None:
                    # Nothing newer arrived while we waited: the refused state is the newest.
                    self._latest = message
            if self._latest is not None:
                self._wake.set()
        await self._deliver_final()

    async def _deliver_final(self) -> None:
        """Send the final state until it lands, a permanent error, or the deadline."""
        started = self._clock()
        backoff = wait_exponential(multiplier=self._interval, max=MAX_BACKOFF_S)

        def pause(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            wait = backoff(state)
            if isinstance(error, SlackCallFailed) and error.retry_after is not None:
                wait = max(error.retry_after, self._interval)
            # Never earlier than the throttle allows, never past the deadline.
            wait = max(wait, self._not_before - self._clock())
            return max(0.0, min(wait, started + self._final_deadline - self._clock()))

        def past_deadline(state: RetryCallState) -> bool:
            # The pauses are cut to end at the deadline, so the last try happens right on it.
            return self._clock() >= started + self._final_deadline

        def worth_retrying(error: BaseException) -> bool:
            return isinstance(error, SlackCallFailed) and error.code not in PERMANENT_ERRORS

        delay = self._not_before - self._clock()
        if delay > 0:
            await self._sleep(delay)
        retrying = AsyncRetrying(
            sleep=self._sleep,
            wait=pause,
            stop=past_deadline,
            retry=retry_if_exception(worth_retrying),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    assert self._final is not None
                    final = self._final
                    try:
                        await self._send(final)
                    except SlackCallFailed as error:
                        self._note_failure(error, final)
                        raise
        except SlackCallFailed as error:
            log.error(
                "final update of %s/%s did not land after %.0f s (%s)",
                self.channel,
                self.ts,
                self._clock() - started,
                error.code,
            )
            return
        self.stats.final_landed = True

    async def _send(self, message: Message) -> None:
        started = self._clock()
        try:
            await slack_call(
                "chat.update",
                self._client.chat_update(
                    channel=self.channel, ts=self.ts, text=message.text, blocks=message.blocks
                ),
            )
        finally:
            # Counted from the answer, not the request: Slack sees two updates of this
            # message at least `interval` apart however long a request takes to arrive.
            self._not_before = self._clock() + self._interval
        self.stats.updates_sent += 1
        self.stats.sent_at.append(started)

    def _note_failure(self, error: SlackCallFailed, message: Message) -> None:
        """Count the failure, honour Retry-After, and drop blocks Slack refuses."""
        if error.rate_limited:
            self.stats.rate_limited += 1
            retry_after = error.retry_after if error.retry_after is not None else 1.0
            self._not_before = max(self._not_before, self._clock() + retry_after)
            log.info("chat.update rate limited; retrying after %.1f s", retry_after)
            return
        self.stats.errors += 1
        log.warning("chat.update failed: %s", error.code)
        fallback = text_only(message.text)
        if error.code in _BLOCK_ERRORS and message.blocks != fallback.blocks:
            # Keep the message useful: the text fallback still tells the story. It goes in one
            # plain section because an update without blocks would keep the old ones.
            if self._final is message:
                self._final = fallback
            elif self._latest is None:
                self._latest = fallback

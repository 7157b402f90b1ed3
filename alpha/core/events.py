"""Typed run events, fanned out to subscribers without slowing the agents.

Every run owns one `EventDispatcher`. Emitting is synchronous and O(subscribers): the event
is built once and appended to one unbounded queue per subscriber. Each subscriber
is fed by its own delivery task, owned by the dispatcher's `asyncio.TaskGroup`, so a slow
subscriber only delays its own queue, never the agents or the other subscribers. Leaving the
dispatcher's `async with` block drains every queue: all events of a run are delivered before
the run returns.

Subscribers may be plain callables or coroutine functions. A subscriber that raises is
logged (the first failure with its traceback) and keeps receiving later events; it never
sinks the run. A synchronous subscriber runs on the event loop, so it must be quick (the
live display only updates in-memory state and lets Rich's refresh thread draw).

Event order within a run: `run_started`, one `signal_detected` per signal, then per agent
`agent_started`, any `agent_progress`, one `hypothesis_produced` per hypothesis that passed
the judge, and exactly one of `agent_completed` / `agent_failed` / `agent_timed_out`
(agents interleave with each other), and finally `run_completed` carrying the result.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Protocol

from alpha.schemas import (
    AgentEvent,
    AgentOutcome,
    EventKind,
    ExecutionResult,
    Hypothesis,
    Signal,
)

__all__ = ["EventDispatcher", "EventEmitter", "EventSubscriber"]

EventSubscriber = Callable[[AgentEvent], Awaitable[None] | None]
"""A sync or async callable receiving every event of a run."""

_log = logging.getLogger(__name__)


class EventEmitter(Protocol):
    """Anything that accepts run events (the dispatcher, or a recorder in tests)."""

    def emit(
        self,
        kind: EventKind,
        *,
        agent_name: str | None = None,
        message: str | None = None,
        signal: Signal | None = None,
        hypothesis: Hypothesis | None = None,
        outcome: AgentOutcome | None = None,
        result: ExecutionResult | None = None,
    ) -> None:
        """Record one event."""


class _Feed:
    """One subscriber, its queue and its failure count.

    A deque plus a wake-up `asyncio.Event` rather than an `asyncio.Queue`: emitting is then
    one append (and a set only when the delivery task sleeps), which keeps the cost per
    event low with hundreds of agents.
    """

    def __init__(self, subscriber: EventSubscriber) -> None:
        self.subscriber = subscriber
        # None is the end-of-run marker.
        self.queue: deque[AgentEvent | None] = deque()
        self.wake = asyncio.Event()
        self.failures = 0

    def put(self, event: AgentEvent | None) -> None:
        self.queue.append(event)
        if not self.wake.is_set():
            self.wake.set()


class EventDispatcher:
    """Delivers one run's events to its subscribers through per-subscriber queues.

    Use as `async with EventDispatcher(execution_id, subscribers) as events:`; call
    `events.emit(...)` from anywhere in the run. On a clean exit the block waits until every
    queued event was delivered; if the run raises or is cancelled, delivery stops and the
    run's own exception propagates unchanged.

    Args:
        execution_id: Stamped on every event.
        subscribers: Receivers of every event, in the order given.
        clock: Monotonic seconds; `elapsed_ms` of each event counts from construction.
    """

    def __init__(
        self,
        execution_id: str,
        subscribers: Sequence[EventSubscriber] = (),
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.execution_id = execution_id
        self._feeds = [_Feed(subscriber) for subscriber in subscribers]
        self._clock = clock
        self._started = clock()
        self._group: asyncio.TaskGroup | None = None
        self._open = False

    @property
    def elapsed_ms(self) -> float:
        """Milliseconds since the dispatcher was created."""
        return (self._clock() - self._started) * 1000.0

    def emit(
        self,
        kind: EventKind,
        *,
        agent_name: str | None = None,
        message: str | None = None,
        signal: Signal | None = None,
        hypothesis: Hypothesis | None = None,
        outcome: AgentOutcome | None = None,
        result: ExecutionResult | None = None,
    ) -> None:
        """Queue one event for every subscriber; never blocks, never raises for them.

        Events emitted outside the `async with` block (or with no subscriber) are dropped.
        """
        if not self._open or not self._feeds:
            return
        event = AgentEvent(
            kind=kind,
            execution_id=self.execution_id,
            agent_name=agent_name,
            elapsed_ms=self.elapsed_ms,
            message=message,
            signal=signal,
            hypothesis=hypothesis,
            outcome=outcome,
            result=result,
        )
        for feed in self._feeds:
            feed.put(event)

    async def __aenter__(self) -> EventDispatcher:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        for index, feed in enumerate(self._feeds):
            self._group.create_task(self._deliver(feed), name=f"events:{index}")
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None, "EventDispatcher used without `async with`"
        self._open = False
        for feed in self._feeds:
            feed.put(None)
        try:
            await self._group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # Delivery tasks never raise, so a group holding only the run's own exception
            # is the TaskGroup wrapping it; let the original propagate instead.
            if exc is not None and len(group.exceptions) == 1 and group.exceptions[0] is exc:
                return None
            raise
        finally:
            self._report_failures()
        return None

    async def _deliver(self, feed: _Feed) -> None:
        queue = feed.queue
        while True:
            if not queue:
                feed.wake.clear()
                await feed.wake.wait()
                continue
            event = queue.popleft()
            if event is None:
                return
            try:
                outcome = feed.subscriber(event)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                # A broken subscriber (display, Slack publisher) must not sink the run.
                feed.failures += 1
                if feed.failures == 1:
                    _log.exception(
                        "event subscriber %r raised on %s; later failures are counted",
                        feed.subscriber,
                        event.kind.value,
                    )

    def _report_failures(self) -> None:
        for feed in self._feeds:
            if feed.failures > 1:
                _log.warning(
                    "event subscriber %r raised on %d events of run %s",
                    feed.subscriber,
                    feed.failures,
                    self.execution_id,
                )

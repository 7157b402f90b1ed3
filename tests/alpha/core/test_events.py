"""The event dispatcher: per-subscriber queues, delivery guarantees, failure isolation.

The tests run on virtual loop time (looptime), so "a slow subscriber lags" is a fact of
the schedule, not of the machine's speed.
"""

import asyncio
import logging

import pytest

from alpha.core.events import EventDispatcher
from alpha.schemas import AgentEvent, EventKind

pytestmark = pytest.mark.looptime


async def test_sync_and_async_subscribers_receive_every_event_in_order():
    """Both kinds of subscriber get every event, in emission order, stamped with the run id."""
    sync_seen: list[AgentEvent] = []
    async_seen: list[AgentEvent] = []

    async def async_subscriber(event: AgentEvent) -> None:
        await asyncio.sleep(0)
        async_seen.append(event)

    async with EventDispatcher("run-1", [sync_seen.append, async_subscriber]) as events:
        events.emit(EventKind.RUN_STARTED)
        events.emit(EventKind.AGENT_STARTED, agent_name="a")
        events.emit(EventKind.AGENT_PROGRESS, agent_name="a", message="thinking")
    for seen in (sync_seen, async_seen):
        assert [e.kind for e in seen] == [
            EventKind.RUN_STARTED,
            EventKind.AGENT_STARTED,
            EventKind.AGENT_PROGRESS,
        ]
        assert {e.execution_id for e in seen} == {"run-1"}
        assert seen[2].message == "thinking" and seen[2].agent_name == "a"


async def test_slow_subscriber_does_not_block_emit_or_others():
    """Emitting is immediate while a slow subscriber lags; it still gets everything by exit."""
    slow_seen: list[AgentEvent] = []
    fast_seen: list[AgentEvent] = []

    async def slow(event: AgentEvent) -> None:
        await asyncio.sleep(0.01)
        slow_seen.append(event)

    async with EventDispatcher("r", [slow, fast_seen.append]) as events:
        for i in range(20):
            events.emit(EventKind.AGENT_PROGRESS, message=str(i))
        await asyncio.sleep(0.025)
        assert len(fast_seen) == 20
        assert len(slow_seen) == 2
    assert [e.message for e in slow_seen] == [str(i) for i in range(20)]


async def test_raising_subscriber_is_isolated_and_logged(caplog):
    """A subscriber that raises keeps receiving; others are unaffected; the failure is logged."""
    calls: list[EventKind] = []
    good: list[AgentEvent] = []

    def broken(event: AgentEvent) -> None:
        calls.append(event.kind)
        raise RuntimeError("display exploded")

    with caplog.at_level(logging.WARNING, logger="alpha.core.events"):
        async with EventDispatcher("r", [broken, good.append]) as events:
            events.emit(EventKind.RUN_STARTED)
            events.emit(EventKind.RUN_COMPLETED)
    assert len(calls) == 2 and len(good) == 2
    assert "display exploded" in caplog.text
    assert "raised on 2 events" in caplog.text


async def test_no_subscribers_costs_no_task_and_no_event():
    """Without subscribers the dispatcher starts no delivery task and builds no event."""
    reads: list[float] = []

    def clock() -> float:
        reads.append(0.0)
        return 0.0

    before = asyncio.all_tasks()
    async with EventDispatcher("r", clock=clock) as events:
        assert asyncio.all_tasks() == before
        events.emit(EventKind.RUN_STARTED)
        events.emit(EventKind.AGENT_PROGRESS, agent_name="a", message="x")
    # The clock is read once, at construction: an event would read it for `elapsed_ms`.
    assert len(reads) == 1


async def test_events_outside_the_block_are_dropped():
    """Emitting after the run ended delivers nothing (no task outlives the run)."""
    seen: list[AgentEvent] = []
    dispatcher = EventDispatcher("r", [seen.append])
    async with dispatcher:
        pass
    dispatcher.emit(EventKind.RUN_STARTED)
    await asyncio.sleep(0)
    assert seen == []


async def test_run_exception_propagates_unwrapped():
    """An exception inside the block comes out as itself, not as an ExceptionGroup."""
    with pytest.raises(ValueError, match="pipeline bug"):
        async with EventDispatcher("r", [lambda e: None]) as events:
            events.emit(EventKind.RUN_STARTED)
            raise ValueError("pipeline bug")


async def test_cancellation_propagates():
    """Cancelling a run inside the dispatcher raises CancelledError to the caller."""
    started = asyncio.Event()

    async def run() -> None:
        async with EventDispatcher("r", [lambda e: None]):
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_elapsed_ms_uses_the_injected_clock():
    """Event times count from the dispatcher's creation on the injected clock."""
    now = [100.0]
    seen: list[AgentEvent] = []
    async with EventDispatcher("r", [seen.append], clock=lambda: now[0]) as events:
        now[0] = 100.25
        events.emit(EventKind.RUN_STARTED)
    assert seen[0].elapsed_ms == pytest.approx(250.0)

"""The investigation worker: one thread with its own event loop, where the heavy work runs.

The bot's event loop must answer Slack within 3 s whatever an investigation costs, but
assembling a payload, extracting signals from a million log lines and running the agents'
rules are CPU work of seconds. They run here instead, on a second loop in a worker thread:
the bot's loop only posts and edits messages, so its acks wait for the GIL's switch interval
(5 ms), not for an investigation. Everything the engine owns (runtime, LLM clients, circuit
breakers) lives on this one loop, so no asyncio object is shared between two loops.

A process pool would also free the GIL, but the runtime streams events back as it goes
and its LLM mode keeps process-wide state (breakers, token accounting); `bench/slack_load.py`
measures the ack latency this thread gives while a 1M-line payload is investigated.

`run(coro)` awaits a coroutine on the worker loop from the bot's loop; cancelling the
caller cancels the coroutine over there. Events the engine emits on the worker loop are
brought back with `relay`, which schedules a callback on the bot's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")

# How long `close()` waits for the worker loop to wind down after cancelling its tasks.
_CLOSE_TIMEOUT_S = 10.0


class Worker:
    """A daemon thread running an event loop for the heavy work (a context manager).

    Use `with Worker() as worker:` (or `start()`/`close()`) around the bot's lifetime.
    """

    def __init__(self, name: str = "alpha-investigations") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> Worker:
        """Start the thread and its loop (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
            self._ready.wait()
        return self

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def run(self, work: Awaitable[T]) -> T:
        """Await `work` (a coroutine not yet started) on the worker loop; return its result.

        Cancelling the caller cancels `work` on the worker loop.
        """
        loop = self._loop
        if loop is None:
            raise RuntimeError("Worker is not started")

        async def there() -> T:
            return await work

        future: Future[T] = asyncio.run_coroutine_threadsafe(there(), loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    def close(self) -> None:
        """Cancel what still runs on the worker loop, stop it and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        def stop() -> None:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.call_soon(loop.stop)

        loop.call_soon_threadsafe(stop)
        thread.join(_CLOSE_TIMEOUT_S)
        self._loop = self._thread = None

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def relay(callback: Callable[[T], object]) -> Callable[[T], None]:
    """Wrap a synchronous `callback` of the calling loop so the worker loop can call it.

    Must be called on the bot's loop; the wrapper schedules `callback(value)` there, in
    call order (what `callback` returns is dropped: it must not be a coroutine function).
    """
    home = asyncio.get_running_loop()

    def relayed(value: T) -> None:
        home.call_soon_threadsafe(callback, value)

    return relayed

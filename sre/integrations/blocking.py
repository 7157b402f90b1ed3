"""Blocking SDK calls off the event loop, abandoned (not waited for) on cancellation.

`asyncio.to_thread` runs a call in the loop's default pool, and `asyncio.run` joins that
pool when it ends: a Ctrl-C during a blocking HTTP request (PyGithub) would wait for the
request's timeout. A daemon thread per call is not joined: cancelling the caller returns at
once, the call finishes (or times out) on its own, and the process can exit meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_daemon_thread(fn: Callable[[], T]) -> T:
    """`fn()` in a daemon thread; cancelling the caller returns at once (the thread ends on
    its own, and never holds up the process's exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # the caller was cancelled
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = context.run(fn)
        except BaseException as exc:  # handed to the awaiting task, never swallowed
            error = exc
        # A closed loop means the caller is gone (Ctrl-C): nobody awaits this any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, result, error)

    threading.Thread(target=run, name="alpha-github", daemon=True).start()
    return await future

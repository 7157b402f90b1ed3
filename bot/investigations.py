"""The app-owned job manager: investigations run after the ack, under one owner.

`InvestigationManager` is an async context manager holding an `asyncio.TaskGroup`; every
investigation is a task of that group, so shutting the app down cancels and awaits them
all (no fire-and-forget). At most `max_concurrent` run at once; the rest wait on a semaphore
and their messages say "queued". Which deliveries start a job at all is decided before
`submit`, by the claims of `bot.dedup` (shared by every process on the same store).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType

from alpha.core.errors import ConfigurationError

log = logging.getLogger(__name__)

Job = Callable[["Slot"], Awaitable[None]]


class Slot:
    """A job's handle on the concurrency limit: `async with slot:` waits for a free slot."""

    def __init__(self, manager: InvestigationManager) -> None:
        self._manager = manager
        self._held = False

    async def __aenter__(self) -> Slot:
        manager = self._manager
        manager.queued += 1
        try:
            await manager._semaphore.acquire()
        finally:
            manager.queued -= 1
        self._held = True
        manager.running += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._held:
            self._held = False
            self._manager.running -= 1
            self._manager._semaphore.release()

    @property
    def would_wait(self) -> bool:
        """True when entering now would queue (every slot is taken)."""
        return self._manager._semaphore.locked()


class InvestigationManager(AbstractAsyncContextManager["InvestigationManager"]):
    """Owns investigation tasks: concurrency limit, queue, cancellation.

    Args:
        max_concurrent: how many investigations may run at once.
    """

    def __init__(self, *, max_concurrent: int = 4) -> None:
        if max_concurrent < 1:
            raise ConfigurationError(f"max_concurrent must be >= 1, got {max_concurrent!r}")
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.max_concurrent = max_concurrent
        self.running = 0
        self.queued = 0
        self.started = 0

    async def __aenter__(self) -> InvestigationManager:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Cancel whatever is still running (shutdown) and wait for every task to finish."""
        group, self._group = self._group, None
        for task in list(self._tasks):
            task.cancel()
        if group is not None:
            await group.__aexit__(exc_type, exc, tb)

    def submit(self, job: Job, *, name: str = "investigation") -> None:
        """Start `job` as a task owned by the manager.

        Args:
            job: receives a `Slot` it must enter before the expensive part.
            name: the task's name, for logs.

        Raises:
            RuntimeError: if the manager is not entered (the app is not running).
        """
        if self._group is None:
            raise RuntimeError("InvestigationManager is not running (use `async with`)")
        self.started += 1
        self._idle.clear()
        task = self._group.create_task(self._guard(job), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _guard(self, job: Job) -> None:
        # One investigation's unexpected failure must not cancel its siblings in the group,
        # so it is logged with its traceback (and reaches Sentry through the logging
        # integration) instead of propagating. Cancellation still propagates.
        try:
            await job(Slot(self))
        except Exception:
            log.exception("investigation crashed")

    async def wait_idle(self) -> None:
        """Wait until no job is queued or running (tests, benchmarks, graceful drain)."""
        await self._idle.wait()

    @property
    def active(self) -> int:
        """Jobs submitted and not finished (queued or running)."""
        return len(self._tasks)

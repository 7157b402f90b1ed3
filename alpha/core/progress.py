"""Progress and cancellation of a run's long synchronous step: signal extraction.

Extraction runs in a worker thread (it is CPU work, seconds on a million log lines). The
runtime hands that thread a `StepProgress` through a context variable (`asyncio.to_thread`
copies the caller's context), so an extractor can say how far it got without a change to
its signature, and learn that the run was cancelled:

    progress = current_progress()
    if progress is not None:
        progress.report("parsing logs: 120,000 of 1,000,000 lines")   # a RUN_PROGRESS event
        progress.check()        # raises StepCancelled once the run was cancelled (Ctrl-C)

A thread cannot be stopped from outside; checking now and then is what lets Ctrl-C end a
million-line parse within a fraction of a second instead of when it finishes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from alpha.core.errors import AlphaError

__all__ = ["StepCancelled", "StepProgress", "current_progress", "progress_scope"]


class StepCancelled(AlphaError):
    """The run this step belongs to was cancelled; the step stops here."""


class StepProgress:
    """Thread-safe progress reports of one step, and its cancellation flag.

    Args:
        report: delivers one message; called from the step's thread (it must be thread-safe,
            e.g. `loop.call_soon_threadsafe`).
    """

    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        """Whether the run was cancelled."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Mark the step cancelled: its next `check` or `report` raises `StepCancelled`."""
        self._cancelled.set()

    def check(self) -> None:
        """Raise `StepCancelled` when the run was cancelled."""
        if self._cancelled.is_set():
            raise StepCancelled("the run was cancelled")

    def report(self, message: str) -> None:
        """Say how far the step got (and stop here if the run was cancelled)."""
        self.check()
        try:
            self._report(message)
        except RuntimeError:
            # The loop that would deliver it is closed: the run is gone.
            raise StepCancelled("the run is over") from None


_current: ContextVar[StepProgress | None] = ContextVar("alpha_step_progress", default=None)


def current_progress() -> StepProgress | None:
    """The progress of the step running in this context, if the runtime gave one."""
    return _current.get()


@contextmanager
def progress_scope(progress: StepProgress) -> Iterator[StepProgress]:
    """Make `progress` the current one for the code (and threads it starts) inside."""
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)

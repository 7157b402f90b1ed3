"""Extraction progress and cancellation: the runtime gives the extraction thread a
`StepProgress`; cancelling the run stops the thread at its next check."""

from __future__ import annotations

import asyncio
import threading

import pytest

from alpha import AlphaRuntime
from alpha.core.progress import StepCancelled, current_progress
from alpha.schemas import AgentEvent, EventKind, IncidentInput, Signal

PAYLOAD = IncidentInput(
    deployment_id="d", logs=["x"], metrics={}, recent_commits=[], config_snapshot={}
)


async def test_extraction_progress_reaches_subscribers_in_order() -> None:
    """What the extractor reports arrives as run_progress events, after run_started and
    before the signals."""

    def extract(incident: IncidentInput) -> list[Signal]:
        progress = current_progress()
        assert progress is not None
        progress.report("parsing logs: 1 of 1 lines")
        return [Signal(id="sig_001", type="t", description="d", source="s")]

    seen: list[AgentEvent] = []
    await AlphaRuntime(signal_extractor=extract).execute(PAYLOAD, subscribers=[seen.append])
    kinds = [e.kind for e in seen]
    assert kinds[:3] == [EventKind.RUN_STARTED, EventKind.RUN_PROGRESS, EventKind.SIGNAL_DETECTED]
    assert seen[1].message == "parsing logs: 1 of 1 lines"


async def test_cancelling_the_run_stops_the_extraction_thread() -> None:
    """A cancelled run marks the step cancelled: the thread's next check raises and it ends,
    instead of running to completion after the caller is gone."""
    started, stopped = threading.Event(), threading.Event()
    checks = 0

    def extract(incident: IncidentInput) -> list[Signal]:
        nonlocal checks
        progress = current_progress()
        assert progress is not None
        started.set()
        try:
            while True:  # a parse that would never end on its own
                checks += 1
                progress.check()
        except StepCancelled:
            stopped.set()
            raise

    run = asyncio.create_task(AlphaRuntime(signal_extractor=extract).execute(PAYLOAD))
    assert await asyncio.to_thread(started.wait, 10)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await asyncio.to_thread(stopped.wait, 10)
    assert checks > 0

"""Recording a CLI run: capture it (redacted, capped) and write it, after the result is shown.

The terminal gets the result first; recording follows in the same process. A recording
that fails (database unreachable, disk full) never fails the investigation: the problem is
returned as one line for the command to print.

Why not beside the run, in a forked child: the redaction rules run in a library with its
own native threads (betterleaks), and a process with native threads cannot be forked
safely (the child deadlocked in the first test of it).
"""

from __future__ import annotations

import asyncio

from alpha.core.errors import AlphaError
from alpha.schemas import ExecutionResult, IncidentInput
from sre.history.capture import capture
from sre.history.records import PayloadCaps, RunContext
from sre.history.spool import spool_folder, spool_run
from sre.redaction import Redactor


async def record_run_async(
    url: str,
    incident: IncidentInput | None,
    result: ExecutionResult,
    context: RunContext,
    caps: PayloadCaps | None = None,
) -> None:
    """Capture the run (in a worker thread: it is CPU work) and write it.

    Raises:
        StorageError: the database failed.
    """
    from sre.history.store import open_store

    record = await asyncio.to_thread(capture, incident, result, context, caps=caps)
    async with open_store(url) as store:
        await store.record(record)


def record_run(
    url: str,
    incident: IncidentInput | None,
    result: ExecutionResult,
    context: RunContext,
    caps: PayloadCaps | None = None,
    *,
    redactor: Redactor | None = None,
) -> str | None:
    """Record one run; returns a one-line problem, or None when it was recorded.

    On an SQLite file the run is spooled (`sre.history.spool`): this process then never
    imports the database layer. Elsewhere it is written at once.

    Args:
        redactor: the one that redacted what was shown, so that the stored run uses the
            same placeholders (a fresh one when None).
    """
    try:
        folder = spool_folder(url)
        if folder is None:
            asyncio.run(record_run_async(url, incident, result, context, caps))
        else:
            spool_run(folder, capture(incident, result, context, caps=caps, redactor=redactor))
    except AlphaError as error:
        return " ".join(str(error).split())
    return None

"""Recording a CLI run beside the investigation, on the machine's other core.

Redacting a payload costs about as much per character as investigating it, and importing
SQLAlchemy costs about 0.2 s: done after the run, recording would add more than the run
itself on a small payload. So `alpha investigate` forks a recorder as soon as the payload
is loaded. The child inherits the payload (no copy, even of a million lines), caps and
redacts it, connects to the database and migrates it, all while the parent investigates;
then it receives the result through a pipe, redacts it and writes the run. The parent
waits for the child's answer after printing the result.

Forking is safe here because the CLI has started no thread yet when it forks. Where `fork`
is not the platform's way (macOS, Windows), `InlineRecorder` does the same work after the
run instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Protocol

from alpha.core.errors import AlphaError
from alpha.schemas import ExecutionResult, IncidentInput
from sre.history.capture import build_record, store_payload
from sre.history.records import PayloadCaps, RunContext
from sre.redaction import Redactor


class Recorder(Protocol):
    """Records one run: started with its payload, finished with its result."""

    def finish(self, result: ExecutionResult) -> str | None:
        """Record the result; returns a one-line problem, or None when it was recorded."""
        ...

    def cancel(self) -> None:
        """Record nothing (the run failed or was interrupted)."""
        ...


class InlineRecorder:
    """Records after the run, in this process."""

    def __init__(
        self, url: str, incident: IncidentInput, context: RunContext, caps: PayloadCaps | None
    ) -> None:
        self._url, self._incident, self._context, self._caps = url, incident, context, caps

    def finish(self, result: ExecutionResult) -> str | None:
        """Capture and write the run; a problem is returned as one line."""
        try:
            asyncio.run(_record(self._url, self._incident, self._context, self._caps, result))
        except AlphaError as error:
            return str(error)
        return None

    def cancel(self) -> None:
        """Nothing was started."""


async def _record(
    url: str,
    incident: IncidentInput,
    context: RunContext,
    caps: PayloadCaps | None,
    result: ExecutionResult,
) -> None:
    from sre.history.store import open_store

    redactor = Redactor()
    payload = store_payload(incident, redactor, caps)
    record = build_record(result, context, payload=payload, redactor=redactor, incident=incident)
    async with open_store(url) as store:
        await store.record(record)


def _child(
    conn: Connection,
    url: str,
    incident: IncidentInput,
    context: RunContext,
    caps: PayloadCaps | None,
) -> None:
    """The recorder process: everything but the result, then the result, then the write."""
    # Ctrl-C reaches the whole process group; the parent decides, and closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        asyncio.run(_child_run(conn, url, incident, context, caps))
    except AlphaError as error:
        conn.send(str(error))
    except EOFError:
        return  # the parent cancelled: nothing to record
    except Exception as error:  # reported to the parent, which prints it
        conn.send(f"{type(error).__name__}: {error}")
    finally:
        conn.close()


async def _child_run(
    conn: Connection,
    url: str,
    incident: IncidentInput,
    context: RunContext,
    caps: PayloadCaps | None,
) -> None:
    from sre.history.store import open_store

    redactor = Redactor()
    payload = store_payload(incident, redactor, caps)
    async with open_store(url) as store:
        data = await asyncio.to_thread(conn.recv_bytes)
        result = ExecutionResult.model_validate_json(data)
        record = build_record(
            result, context, payload=payload, redactor=redactor, incident=incident
        )
        await store.record(record)
    conn.send(None)


class ForkedRecorder:
    """Records from a child process forked when the payload is loaded (see the module doc).

    Args:
        url: the database URL.
        incident: the payload, inherited by the child.
        context: who, how and where.
        caps: the payload's bounds.
    """

    def __init__(
        self, url: str, incident: IncidentInput, context: RunContext, caps: PayloadCaps | None
    ) -> None:
        fork = multiprocessing.get_context("fork")
        self._conn, child_end = fork.Pipe()
        # Anything buffered would be written twice: by the parent, and by the child at exit.
        sys.stdout.flush()
        sys.stderr.flush()
        self._process = fork.Process(
            target=_child,
            args=(child_end, url, incident, context, caps),
            name="alpha-recorder",
            daemon=True,
        )
        self._process.start()
        child_end.close()

    def finish(self, result: ExecutionResult) -> str | None:
        """Hand the result to the child and wait until it has written the run."""
        problem: str | None
        try:
            # A child that failed early (database unreachable) has already sent its reason
            # and closed its end: the send may fail, the reason is still there to read.
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send_bytes(result.model_dump_json().encode("utf-8"))
            problem = self._conn.recv()
        except (EOFError, OSError):
            self._process.join()
            problem = f"the recorder process ended early (exit status {self._process.exitcode})"
        finally:
            self._conn.close()
            self._process.join()
        return problem

    def cancel(self) -> None:
        """Close the pipe: the child stops without writing."""
        self._conn.close()
        self._process.join()


def start_recorder(
    url: str,
    incident: IncidentInput,
    context: RunContext,
    caps: PayloadCaps | None = None,
    *,
    fork: bool | None = None,
) -> Recorder:
    """A `ForkedRecorder` on Linux with no other thread alive, else an `InlineRecorder`.

    `fork` forces either (tests).
    """
    if fork is None:
        fork = sys.platform.startswith("linux") and threading.active_count() == 1
    use_fork = fork
    if use_fork:
        return ForkedRecorder(url, incident, context, caps)
    return InlineRecorder(url, incident, context, caps)

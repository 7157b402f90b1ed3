"""Runs the CLI records on a local SQLite database: spooled as files, moved in by the next opener.

Why: `alpha investigate` is a short process, and importing the database layer (SQLAlchemy,
its async driver) costs it about as much as a small investigation (`bench/history.py`).
So on an SQLite file the command writes the captured record (already redacted and capped,
`sre.history.capture`) as one JSON file in a folder beside the database
(`alpha.db.spool/`), and every `open_store` of that database moves the spooled runs in
first: `alpha history` right after the run lists it. A PostgreSQL server is shared by
replicas and colleagues, so runs recorded there are written at once, never spooled.

Each file is written whole under a temporary name, flushed to disk, then renamed into
place (a reader never sees half a record); an opener claims a file by renaming it before
moving it in (two openers never both take it), and deletes it once the transaction has
committed. A claim left by a process that died is taken back after `CLAIM_TIMEOUT_S`; a
run already in the database is not written twice (its execution id is unique). A file that
does not parse is set aside as `*.bad`, with a warning naming it, and never blocks the rest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from alpha.core.errors import StorageError
from sre.history.records import RunRecord

if TYPE_CHECKING:
    from sre.history.store import SQLHistoryStore

log = logging.getLogger(__name__)

SUFFIX = ".json"
# A claim older than this belongs to a process that died while moving the run in.
CLAIM_TIMEOUT_S = 300.0


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL; None for other databases and `:memory:`.

    Parsed by hand, as SQLAlchemy's `make_url` does for these forms (tests compare the two):
    importing SQLAlchemy is the cost the spool avoids.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.lower().startswith("sqlite"):
        return None
    database = rest.partition("?")[0]
    # `sqlite:///relative.db` and `sqlite:////absolute.db`: the host part is empty.
    if not database.startswith("/"):
        return None
    database = database[1:]
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def spool_folder(url: str) -> Path | None:
    """Where runs for this database are spooled: beside an SQLite file, else None."""
    database = sqlite_file(url)
    return None if database is None else database.with_name(database.name + ".spool")


def spool_run(folder: Path, record: RunRecord) -> Path:
    """Write one record into the spool, atomically; returns its file.

    Raises:
        StorageError: the folder or the file cannot be written (the problem, one line).
    """
    stamp = record.finished_at.strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{record.execution_id}{SUFFIX}"
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(record.model_dump_json().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise StorageError(f"spool {folder}: {error.strerror or error}") from None
    return path


def pending(folder: Path) -> list[Path]:
    """The spooled runs not yet moved in, oldest first (stale claims taken back first)."""
    if not folder.is_dir():
        return []
    now = time.time()
    for claim in folder.glob(f"*{SUFFIX}.claim-*"):
        try:
            if now - claim.stat().st_mtime > CLAIM_TIMEOUT_S:
                claim.rename(claim.with_name(claim.name.partition(".claim-")[0]))
        except OSError:
            continue  # its owner finished or another opener took it back
    return sorted(folder.glob(f"*{SUFFIX}"))


async def move_in(store: SQLHistoryStore, folder: Path) -> int:
    """Record every spooled run into `store`; returns how many were moved in.

    Raises:
        StorageError: the database failed (the run stays spooled for the next opener).
    """
    moved = 0
    for path in pending(folder):
        claim = path.with_name(f"{path.name}.claim-{os.getpid()}")
        try:
            path.rename(claim)
        except OSError:
            continue  # another opener claimed it
        try:
            record = RunRecord.model_validate_json(claim.read_bytes())
        except (OSError, ValidationError, ValueError):
            bad = path.with_name(path.name + ".bad")
            claim.rename(bad)
            log.warning("history spool: %s does not hold a run; set aside as %s", path, bad)
            continue
        try:
            if await store.get(record.execution_id) is None:
                await store.record(record)
        except StorageError:
            claim.rename(path)
            raise
        claim.unlink(missing_ok=True)
        moved += 1
    return moved

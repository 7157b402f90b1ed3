"""The CLI's spool for SQLite files: written whole, moved in once, bad files set aside."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from sre.history.capture import capture
from sre.history.recorder import record_run
from sre.history.records import RunContext, RunRecord
from sre.history.spool import (
    CLAIM_TIMEOUT_S,
    move_in,
    pending,
    spool_folder,
    spool_run,
    sqlite_file,
)
from sre.history.store import open_store
from tests.sre.history.conftest import incident, result


def _record(execution_id: str) -> RunRecord:
    return capture(incident(), result(execution_id), RunContext(trigger="cli"))


async def _ids(url: str) -> list[str]:
    async with open_store(url) as store:
        return sorted(run.execution_id for run in await store.history(limit=100))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///alpha.db",
        "sqlite+aiosqlite:///relative/dir/alpha.db",
        "sqlite:////var/lib/alpha/alpha.db",
        "sqlite+aiosqlite:////tmp/x.db?timeout=5",
        "SQLITE:///upper.db",
    ],
)
def test_sqlite_file_reads_the_path_as_sqlalchemy_does(url: str) -> None:
    """The hand parser agrees with SQLAlchemy's `make_url` on every file form."""
    assert sqlite_file(url) == Path(str(make_url(url.replace("SQLITE", "sqlite")).database))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite+aiosqlite:///file:shared?mode=memory&uri=true",
        "postgresql+asyncpg://alpha:pw@db/alpha",
        "not a url",
    ],
)
def test_no_spool_for_memory_uri_or_server_databases(url: str) -> None:
    """Only a plain SQLite file gets a spool; a server is written at once."""
    assert spool_folder(url) is None


def test_a_spooled_run_is_listed_by_the_next_opener_and_moved_in_once(tmp_path: Path) -> None:
    """record_run spools on SQLite; open_store moves the file in and deletes it."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    folder = spool_folder(url)
    assert folder == tmp_path / "h.db.spool"
    assert record_run(url, incident(), result("spool1"), RunContext(trigger="cli")) is None
    assert [p.name.endswith("-spool1.json") for p in folder.iterdir()] == [True]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert asyncio.run(_ids(url)) == ["spool1"]
    assert list(folder.iterdir()) == []
    assert asyncio.run(_ids(url)) == ["spool1"]  # a second opener finds nothing to move


def test_a_run_already_stored_is_not_written_twice(tmp_path: Path) -> None:
    """A crash after the commit but before the delete leaves the file: it is dropped later."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    folder = spool_folder(url)
    assert folder is not None
    record = _record("twice1")
    spool_run(folder, record)
    assert asyncio.run(_ids(url)) == ["twice1"]
    spool_run(folder, record)  # the same run, spooled again
    assert asyncio.run(_ids(url)) == ["twice1"]
    assert list(folder.iterdir()) == []


def test_a_bad_file_is_set_aside_and_the_rest_moved_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A truncated file becomes `*.bad` with a warning; the good run after it is stored."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    folder = spool_folder(url)
    assert folder is not None
    good = spool_run(folder, _record("good1"))
    bad = folder / ("0" + good.name)  # sorts first
    bad.write_text('{"context": {"trigger": "cli"}, "resu')
    assert asyncio.run(_ids(url)) == ["good1"]
    assert sorted(p.name for p in folder.iterdir()) == [bad.name + ".bad"]
    assert "does not hold a run" in caplog.text


def test_a_stale_claim_is_taken_back_a_live_one_is_left(tmp_path: Path) -> None:
    """A claim older than the timeout belongs to a dead process; a fresh one is someone's."""
    folder = tmp_path / "h.db.spool"
    live = spool_run(folder, _record("live1"))
    stale = spool_run(folder, _record("stale1"))
    live_claim = live.with_name(live.name + ".claim-111")
    stale_claim = stale.with_name(stale.name + ".claim-222")
    live.rename(live_claim)
    stale.rename(stale_claim)
    old = time.time() - CLAIM_TIMEOUT_S - 10
    os.utime(stale_claim, (old, old))
    assert pending(folder) == [stale]
    assert live_claim.exists()


def test_a_database_failure_leaves_the_run_spooled(tmp_path: Path) -> None:
    """When the insert fails, the file goes back under its name for the next opener."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    folder = spool_folder(url)
    assert folder is not None
    path = spool_run(folder, _record("retry1"))

    class FailingStore:
        async def get(self, execution_id: str) -> None:
            return None

        async def record(self, run: RunRecord) -> None:
            from alpha.core.errors import StorageError

            raise StorageError("history database: disk full")

    with pytest.raises(Exception, match="disk full"):
        asyncio.run(move_in(FailingStore(), folder))  # type: ignore[arg-type]
    assert path.exists()
    assert asyncio.run(_ids(url)) == ["retry1"]


def test_an_unwritable_spool_is_a_one_line_problem(tmp_path: Path) -> None:
    """A spool folder that cannot be created: record_run says so, nothing raises."""
    blocker = tmp_path / "h.db.spool"
    blocker.write_text("a file where the folder should be")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    problem = record_run(url, incident(), result("nope1"), RunContext(trigger="cli"))
    assert problem is not None and problem.startswith(f"spool {blocker}:")
    assert "\n" not in problem

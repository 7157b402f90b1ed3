"""Schema migrations: bring a database to the head revision, safely from many processes.

`ensure_schema(engine)` is called when a store opens. When the database already is at
`HEAD_REVISION` (every run but the first after an upgrade) it costs one small query and
Alembic is not even imported. Otherwise the upgrade runs under a lock, so that two bot
processes starting together on one database migrate it once:

- PostgreSQL: a transaction-scoped advisory lock, then the whole upgrade in that one
  transaction (PostgreSQL's DDL is transactional);
- SQLite: an exclusive `flock` on `<file>.lock` beside the database file.

Under the lock the revision is read again, so the process that waited finds the work done.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions (a test checks it is Alembic's head).
HEAD_REVISION = "0002"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: the key of the advisory lock taken while migrating on PostgreSQL.
_PG_LOCK_KEY = 0x41_6C_70_68_61  # "Alpha"


def current_revision(connection: Connection) -> str | None:
    """The database's revision, None when it has no schema yet."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration (no `alembic.ini`), with the connection to migrate on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade to `revision` on this connection, inside its transaction."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def head_of_scripts() -> str | None:
    """Alembic's own idea of the head revision (for the test that pins `HEAD_REVISION`)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _locked_upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    if revision == "head" and current_revision(connection) == HEAD_REVISION:
        return
    upgrade(connection, revision)


@contextlib.asynccontextmanager
async def _file_lock(database: str | None) -> AsyncIterator[None]:
    """An exclusive lock beside an SQLite file; nothing for in-memory databases.

    Waiting for the lock happens in a worker thread, never on the event loop.
    """
    if not database or database == ":memory:":
        yield
        return
    handle = await asyncio.to_thread(Path(f"{database}.lock").open, "a")
    with handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


async def ensure_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to `revision` (the head by default) unless it is there already.

    Args:
        engine: the store's engine.
        revision: a revision id, for tests that build an older schema.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    # On SQLite the first connection also switches a new file to WAL, which needs the
    # database to itself: several processes opening a new file at once did that together
    # and one could fail with "database is locked" on a loaded machine. The lock beside
    # the file is taken first (cheap; PostgreSQL takes its advisory lock below instead).
    async with _file_lock(database):
        if revision == "head":
            async with engine.connect() as connection:
                if await connection.run_sync(current_revision) == HEAD_REVISION:
                    return
        async with engine.begin() as connection:
            await connection.run_sync(_locked_upgrade, revision)

"""Schema migrations on SQLite and PostgreSQL: from empty, from the previous one, at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Connection, inspect, text

from sre.history.migrate import HEAD_REVISION, current_revision, ensure_schema, head_of_scripts
from sre.history.store import create_engine, open_store
from sre.history.tables import Base
from tests.sre.history.conftest import feedback, record

TABLES = {"investigations", "agent_runs", "payloads", "feedback", "dedup_keys", "alembic_version"}


def test_head_revision_is_alembics_head() -> None:
    """The constant the fast path compares with is the newest migration script."""
    assert head_of_scripts() == HEAD_REVISION


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(current_revision)
    finally:
        await engine.dispose()


async def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    """An empty database is migrated to the head on open, with every table."""
    assert await _revision(database_url) is None
    async with open_store(database_url) as store, store.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == TABLES
    assert await _revision(database_url) == HEAD_REVISION


def _schema_diff(connection: Connection) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    """Autogenerate finds no difference between the migrated database and the table models."""
    async with open_store(database_url) as store, store.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff)
    assert diff == []


async def test_upgrade_from_the_previous_revision_keeps_the_data(database_url: str) -> None:
    """A database at 0001 with a run and feedback is upgraded to the head; both are intact."""
    engine = create_engine(database_url)
    try:
        await ensure_schema(engine, "0001")
        async with engine.connect() as connection:
            assert await connection.run_sync(current_revision) == "0001"
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "dedup_keys" not in tables
    finally:
        await engine.dispose()
    async with open_store(database_url, migrate=False) as old:
        await old.record(record("r1"))
        await old.add_feedback(feedback("r1", category="database"))
    async with open_store(database_url) as store:
        run = await store.get("r1")
        assert run is not None and run.feedback[0].category == "database"
        assert await store.claim("k", 60)
    assert await _revision(database_url) == HEAD_REVISION


async def test_concurrent_opens_migrate_once(database_url: str) -> None:
    """Four stores opening an empty database at once all succeed; one version row remains."""

    async def open_one() -> None:
        async with open_store(database_url) as store:
            await store.history()

    await asyncio.gather(*(open_one() for _ in range(4)))
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert [r[0] for r in rows] == [HEAD_REVISION]


@pytest.mark.parametrize("url", ["mysql://x@y/z", "nonsense"])
def test_unsupported_urls_are_configuration_errors(url: str) -> None:
    """Only SQLite and PostgreSQL URLs are accepted, with a message naming the variable."""
    from alpha.core.errors import ConfigurationError
    from sre.history.settings import async_url

    with pytest.raises(ConfigurationError, match="ALPHA_DATABASE_URL"):
        async_url(url)


def test_plain_urls_get_their_async_driver(tmp_path: object) -> None:
    """`postgresql://` and `sqlite:///` are given asyncpg and aiosqlite."""
    from sre.history.settings import async_url

    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("sqlite:////tmp/a.db") == "sqlite+aiosqlite:////tmp/a.db"


def test_default_database_is_in_the_user_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """With ALPHA_DATABASE_URL unset the store is `$XDG_DATA_HOME/alpha/alpha.db`."""
    from sre.history.settings import HistorySettings

    monkeypatch.setenv("XDG_DATA_HOME", "/data/home")
    settings = HistorySettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.url() == "sqlite+aiosqlite:////data/home/alpha/alpha.db"
    assert settings.retention_days == 90

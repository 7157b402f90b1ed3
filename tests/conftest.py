"""Fixtures shared by the whole suite."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def console_script(name: str) -> Path:
    """The console script `name` installed next to the running interpreter.

    Found beside `sys.executable` (the venv's `bin/`), never through `PATH`, so the suite
    gives the same answer whether or not the venv is activated; a missing script is a
    failure of the install, not a reason to skip.
    """
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"console script {name!r} is not installed next to {sys.executable}")
    return path


@pytest.fixture
def alpha_script() -> Path:
    """The installed `alpha` command."""
    return console_script("alpha")


@pytest.fixture
def lint_imports_script() -> Path:
    """The installed `lint-imports` command (import-linter, a dev dependency)."""
    return console_script("lint-imports")


@pytest.fixture(autouse=True)
def _history_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test records into the developer's own history: the data directory is a temp one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("ALPHA_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALPHA_RETENTION_DAYS", raising=False)


# --------------------------------------------------------------------------- databases

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SCRIPT = ROOT / ".ci" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the store tests.

    `.ci/run` starts a throwaway cluster and passes its URL in `ALPHA_TEST_DATABASE_URL`.
    Without it, a cluster is started here with the same script when the server binaries
    are installed; otherwise the PostgreSQL tests are skipped, except when
    `ALPHA_TEST_REQUIRE_POSTGRES` is set (CI), where they fail.
    """
    given = os.environ.get("ALPHA_TEST_DATABASE_URL")
    if given:
        yield given
        return
    # Not under pytest's own temp folder: that one is private to this user, and the server
    # may run as another (postgres, when the tests run as root).
    folder = Path(tempfile.mkdtemp(prefix="alpha-pg-"))
    started = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT), "start", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        reason = f"no PostgreSQL server: {started.stderr.strip() or started.returncode}"
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("ALPHA_TEST_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(POSTGRES_SCRIPT), "stop", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _plain(url: str) -> str:
    """An asyncpg DSN from an SQLAlchemy URL (`postgresql+asyncpg://` -> `postgresql://`)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def fresh_postgres(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    base, _, _ = postgres_server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: an SQLite file, then a PostgreSQL database (each test runs on both)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'history.db'}"
    url: str = request.getfixturevalue("fresh_postgres")
    return url

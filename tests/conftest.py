"""Fixtures shared by the whole suite.

The suite is hermetic by default: every test runs with the project's own variables, the
proxy variables and the data directories cleared or pointed at a fresh temporary directory,
and in a working directory without a `.env`, so what a developer has exported (or a CI
runner provides) cannot change a result.

Hypothesis runs under the `ci` profile unless `HYPOTHESIS_PROFILE` names another: no
deadlines and no speed health check (wall-clock speed is the machine's, not the code's),
and derandomized, so every run of the suite tries the same examples and counts the same.
`HYPOTHESIS_PROFILE=dev` explores new examples each run (still without deadlines) and
replays past failures from `.hypothesis/`; `HYPOTHESIS_PROFILE=mutation` is `ci` with 20
examples per test, for mutmut.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `pytester` runs a pytest inside the suite: tests/test_hermetic.py checks these fixtures.
pytest_plugins = ["pytester"]

# Variables the code (or a client library it uses) reads: Alpha's own settings, the vendor
# credentials and endpoints, and the OpenAI SDK's defaults. pydantic-settings matches names
# case-insensitively, so `alpha_llm_model` counts as much as `ALPHA_LLM_MODEL`.
CLEARED_PREFIXES = ("ALPHA_", "SLACK_", "SENTRY_", "GITHUB_", "OPENROUTER_", "OPENAI_")
CLEARED_NAMES = ("PORT",)
# aiohttp, httpx and urllib honour these (in either case): a proxy would route the
# loopback fakes' traffic elsewhere.
PROXY_VARIABLES = tuple(
    form
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    for form in (name, name.lower())
)
# Where per-user state lives; pointed at a fresh directory for each test.
DATA_DIRECTORIES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")

# The suite's own switches, read once before the hermetic fixtures clear every ALPHA_
# variable: only the exact value 1 rewrites goldens; `.ci/run` passes its PostgreSQL server
# (a `postgresql...` URL; anything else is not one) and asks for its tests to be required.
UPDATE_GOLDEN = os.environ.get("ALPHA_UPDATE_GOLDEN") == "1"
_given_database = os.environ.get("ALPHA_TEST_DATABASE_URL", "")
TEST_DATABASE_URL = _given_database if _given_database.startswith("postgresql") else ""
REQUIRE_POSTGRES = os.environ.get("ALPHA_TEST_REQUIRE_POSTGRES") == "1"

settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# For mutation testing (README): each mutant reruns the property tests that reach it, so
# they try 20 examples instead of 100.
settings.register_profile("mutation", settings.get_profile("ci"), max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def is_cleared(name: str) -> bool:
    """Whether the hermetic fixture removes the environment variable `name` for each test."""
    upper = name.upper()
    return upper.startswith(CLEARED_PREFIXES) or upper in CLEARED_NAMES or name in PROXY_VARIABLES


def _clear_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if is_cleared(name):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session", autouse=True)
def hermetic_session() -> Iterator[None]:
    """The same variables cleared for the whole run: module- and session-scoped fixtures are
    set up before any test's own fixtures."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear_variables(monkeypatch)
        yield


@pytest.fixture(autouse=True)
def hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test starts with no Alpha, Slack, Sentry, GitHub, OpenRouter or proxy variable,
    with `HOME` and the XDG directories in a fresh directory, and with that directory as
    the working directory (so no developer's `.env` is read). Returns the directory."""
    _clear_variables(monkeypatch)
    place = tmp_path_factory.mktemp("env")
    for name in DATA_DIRECTORIES:
        directory = place / name.lower()
        directory.mkdir()
        monkeypatch.setenv(name, str(directory))
    monkeypatch.chdir(place)
    return place


@pytest.fixture
def golden() -> Callable[[Path, str], None]:
    """Compare rendered text with a reviewed golden file.

    With `ALPHA_UPDATE_GOLDEN=1` (exactly), the file is rewritten instead and the test is
    reported as skipped, saying so: a run that rewrote goldens never counts as passed.
    """

    def check(path: Path, text: str) -> None:
        if UPDATE_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            pytest.skip(f"golden file written: {path} (review the diff before committing)")
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; create it with ALPHA_UPDATE_GOLDEN=1")
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the output"

    return check


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


# --------------------------------------------------------------------------- databases

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_SCRIPT = ROOT / ".ci" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the store tests.

    `.ci/run` starts a throwaway cluster and passes its URL in `ALPHA_TEST_DATABASE_URL`.
    Without it, a cluster is started here with the same script when the server binaries
    are installed; otherwise the PostgreSQL tests are skipped, except when
    `ALPHA_TEST_REQUIRE_POSTGRES=1` (CI), where they fail.
    """
    if TEST_DATABASE_URL:
        yield TEST_DATABASE_URL
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
        if REQUIRE_POSTGRES:
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

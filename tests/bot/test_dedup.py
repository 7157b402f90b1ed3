"""The at-most-once store: claims, expiry, release, and sharing one file between connections."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from alpha.core.errors import ConfigurationError
from bot.dedup import DatabaseDedup, SQLiteDedupStore, stored_key
from sre.history.store import open_store


class Clock:
    """Wall-clock seconds that tests set by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_claimed_once_until_it_expires(tmp_path: Path) -> None:
    """The first claim wins; repeats lose until the time-to-live has passed."""
    clock = Clock()
    store = SQLiteDedupStore(tmp_path / "d.sqlite3", clock=clock)
    assert await store.claim("event:Ev1", 60)
    assert not await store.claim("event:Ev1", 60)
    clock.now += 59.9
    assert not await store.claim("event:Ev1", 60)
    clock.now += 0.1
    assert await store.claim("event:Ev1", 60)
    assert await store.claim("event:Ev2", 60)
    store.close()


async def test_a_released_claim_can_be_made_again(tmp_path: Path) -> None:
    """`release` frees a key before its time-to-live (a finished Rerun)."""
    store = SQLiteDedupStore(tmp_path / "d.sqlite3")
    assert await store.claim("rerun:C1:1.1", 3600)
    assert not await store.claim("rerun:C1:1.1", 3600)
    await store.release("rerun:C1:1.1")
    assert await store.claim("rerun:C1:1.1", 3600)
    store.close()


async def test_claims_survive_a_restart_and_are_shared_by_two_stores(tmp_path: Path) -> None:
    """A second store on the same file (a restarted or second bot) sees the first's claims."""
    path = tmp_path / "shared" / "d.sqlite3"
    first = SQLiteDedupStore(path)
    second = SQLiteDedupStore(path)
    assert await first.claim("sentry:42", 3600)
    assert not await second.claim("sentry:42", 3600)
    first.close()
    restarted = SQLiteDedupStore(path)
    assert not await restarted.claim("sentry:42", 3600)
    assert await restarted.claim("sentry:43", 3600)
    second.close()
    restarted.close()


def _claim_many(path: str, keys: list[str], wins: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = SQLiteDedupStore(path)
    wins.put(sum(store.claim_now(key, 3600) for key in keys))
    store.close()


def test_processes_racing_for_the_same_keys_win_each_key_once(tmp_path: Path) -> None:
    """Four processes claiming the same 200 keys at once win exactly 200 claims in total."""
    path = str(tmp_path / "d.sqlite3")
    SQLiteDedupStore(path).close()  # create the schema (and WAL mode) once
    keys = [f"event:Ev{i}" for i in range(200)]
    context = multiprocessing.get_context("spawn")
    wins: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    workers = [context.Process(target=_claim_many, args=(path, keys, wins)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sum(wins.get(timeout=5) for _ in workers) == 200


def test_long_keys_are_stored_hashed() -> None:
    """A hostile 1 MB id costs a fixed-size row; short keys are kept as they are."""
    assert stored_key("event:Ev1") == "event:Ev1"
    long_key = "event:" + "x" * 1_000_000
    assert stored_key(long_key).startswith("event:sha256:") and len(stored_key(long_key)) < 100
    assert stored_key(long_key) != stored_key(long_key + "y")
    # The boundary: 200 characters are kept, 201 hashed; the namespace is the first part only.
    assert stored_key("e:" + "x" * 198) == "e:" + "x" * 198
    assert stored_key("e:" + "x" * 199).startswith("e:sha256:")
    assert stored_key("alert:a:" + "x" * 300).startswith("alert:sha256:")
    assert stored_key("alert:\udcff" + "x" * 300).startswith("alert:sha256:")


def test_an_unusable_path_is_a_configuration_error(tmp_path: Path) -> None:
    """A store path that cannot be created names ALPHA_DEDUP_PATH."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="ALPHA_DEDUP_PATH"):
        SQLiteDedupStore(blocker / "d.sqlite3")


async def test_database_claims_are_shared_and_released(tmp_path: Path) -> None:
    """On the history database a key is won once until released, then once again."""
    async with open_store(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}") as store:
        dedup = DatabaseDedup(store)
        assert await dedup.claim("event:Ev1", 300)
        assert not await DatabaseDedup(store).claim("event:Ev1", 300)
        assert await dedup.claim("event:Ev2", 300)
        await dedup.release("event:Ev1")
        assert await dedup.claim("event:Ev1", 300)
        dedup.close()


async def test_a_database_that_cannot_answer_grants_the_claim(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing database grants every claim (a triage twice beats a dropped alert) and says
    so in a warning naming the key; a failed release is a warning too."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    async with open_store(url, migrate=False) as broken:
        dedup = DatabaseDedup(broken)
        assert await dedup.claim("event:EvBroken", 300)
        assert await dedup.claim("event:EvBroken", 300)
        await dedup.release("event:EvBroken")
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.dedup"]
    assert warnings[0].startswith("dedup key event:EvBroken not checked, database failed: ")
    assert warnings[-1].startswith("dedup key event:EvBroken not released: ")

"""At-most-once keys shared by every bot process that uses the same store.

Slack redelivers events, an attacker may replay a signed request inside its 300 s window,
a user double-clicks, and a restarted bot or a second replica sees the same alert again.
Each of these is answered by claiming a key before anything starts: only the first claim
of a key within its time-to-live succeeds, whichever process makes it.

`DedupStore` is the small interface; `DatabaseDedup` implements it on the history
database (what `python -m bot` uses), `SQLiteDedupStore` on a file of its own (a bot built
without a history store, as in tests): one SQLite file in
WAL mode, so every bot process on the machine shares it and it survives a restart. A claim
is one atomic upsert, so two processes racing for a key cannot both win.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from alpha.core.errors import AlphaError, ConfigurationError

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# Keys are built from request fields (event ids, trigger ids); a long one is stored hashed so
# that a hostile 1 MB "event_id" costs a row of fixed size.
_MAX_KEY_CHARS = 200
# Expired rows are deleted every this many claims (and at start-up).
_PURGE_EVERY = 500
# How long a process waits for another one's write to finish before giving up.
_BUSY_TIMEOUT_MS = 5000
MEMORY = ":memory:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup_keys (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
)
"""
_CLAIM = """
INSERT INTO dedup_keys (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
WHERE dedup_keys.expires_at <= ?
"""


class ClaimStore(Protocol):
    """What `DatabaseDedup` needs of the history store (`sre.history.store.HistoryStore`)."""

    async def claim(self, key: str, ttl_s: float) -> bool: ...
    async def release(self, key: str) -> None: ...


class DedupStore(Protocol):
    """Claims of keys, each valid for a time-to-live, shared by every process on the store."""

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Claim `key` for `ttl_s` seconds; False when a live claim of it already exists."""
        ...

    async def release(self, key: str) -> None:
        """Drop a claim early (a finished run frees its Rerun button)."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


def stored_key(key: str) -> str:
    """The key as stored: itself when short, else its namespace and a SHA-256 digest."""
    if len(key) <= _MAX_KEY_CHARS:
        return key
    namespace = key.split(":", 1)[0][:40]
    return f"{namespace}:sha256:{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}"


class SQLiteDedupStore:
    """`DedupStore` on one SQLite file (WAL mode), shared by processes on one machine.

    The blocking sqlite3 calls run in a worker thread (`asyncio.to_thread`), so a busy file
    never stalls the event loop; a lock serialises this process's use of its connection.

    Args:
        path: the database file (created with its directory), or `":memory:"` for a store
            private to this process (tests, a single short-lived bot).
        clock: wall-clock seconds (claims must mean the same in every process and after a
            restart, so not a monotonic clock); injected so tests control expiry.

    Raises:
        ConfigurationError: when the file cannot be created or opened.
    """

    def __init__(self, path: Path | str, *, clock: Clock = time.time) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._claims = 0
        try:
            if self.path != MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: each statement is its own transaction
                check_same_thread=False,  # used from worker threads, under self._lock
            )
            if self.path != MEMORY:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            self._db.execute(_SCHEMA)
            self._purge()
        except (OSError, sqlite3.Error) as error:
            raise ConfigurationError(
                f"ALPHA_DEDUP_PATH: cannot open the dedup store {self.path!r}: {error}"
            ) from error

    def _purge(self) -> None:
        self._db.execute("DELETE FROM dedup_keys WHERE expires_at <= ?", (self._clock(),))

    def claim_now(self, key: str, ttl_s: float) -> bool:
        """`claim`, blocking (what the worker thread runs)."""
        now = self._clock()
        with self._lock:
            self._claims += 1
            if self._claims % _PURGE_EVERY == 0:
                self._purge()
            cursor = self._db.execute(_CLAIM, (stored_key(key), now + ttl_s, now))
            return cursor.rowcount == 1

    def release_now(self, key: str) -> None:
        """`release`, blocking."""
        with self._lock:
            self._db.execute("DELETE FROM dedup_keys WHERE key = ?", (stored_key(key),))

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Claim `key` for `ttl_s` seconds; False when a live claim of it already exists."""
        return await asyncio.to_thread(self.claim_now, key, ttl_s)

    async def release(self, key: str) -> None:
        """Drop a claim early."""
        await asyncio.to_thread(self.release_now, key)

    def close(self) -> None:
        """Close the connection (claims stay in the file)."""
        with self._lock:
            self._db.close()


class DatabaseDedup:
    """`DedupStore` on the history database (`sre.history.store`): the keys every bot process
    using that database shares (several replicas on one PostgreSQL server).

    A claim that the database cannot answer is granted, with a warning: an alert triaged
    twice is better than an alert dropped. The database belongs to its opener
    (`bot.__main__`), so `close` has nothing to release.
    """

    def __init__(self, store: ClaimStore) -> None:
        self._store = store

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Claim `key` for `ttl_s` seconds in the database."""
        try:
            return await self._store.claim(key, ttl_s)
        except AlphaError as error:
            log.warning("dedup key %s not checked, database failed: %s", key[:80], error)
            return True

    async def release(self, key: str) -> None:
        """Drop a claim early."""
        try:
            await self._store.release(key)
        except AlphaError as error:
            log.warning("dedup key %s not released: %s", key[:80], error)

    def close(self) -> None:
        """Nothing to do: the database is closed by whoever opened it."""

"""The history store: one small interface, and its SQLAlchemy (async) implementation.

`HistoryStore` is what the CLI and the bot use; `SQLHistoryStore` implements it on any
database SQLAlchemy reaches asynchronously: embedded SQLite (aiosqlite) by default,
PostgreSQL (asyncpg) when `ALPHA_DATABASE_URL` says so. `open_store(url)` connects and
brings the schema to the head revision (`sre.history.migrate`).

The store also keeps the bot's at-most-once keys (`claim` / `release`, the `DedupStore`
interface of `bot/`): a claim is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired
RETURNING`, atomic on both backends, so two processes racing for a key cannot both win.

Records arrive already redacted (`sre.history.capture`); the store writes what it is given.
Every database failure is raised as `alpha.core.errors.StorageError`, naming the database
with its password hidden.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Select, delete, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from alpha.core.errors import InputError, StorageError
from alpha.schemas import ExecutionResult
from sre.history.migrate import ensure_schema
from sre.history.records import (
    FeedbackRecord,
    PayloadCaps,
    PayloadCuts,
    PurgeReport,
    RunRecord,
    RunSummary,
    StoredPayload,
    StoredRun,
)
from sre.history.settings import async_url
from sre.history.spool import move_in, spool_folder
from sre.history.tables import AgentRun, DedupKey, Feedback, Investigation, Payload

Clock = Callable[[], float]

# Keys longer than this are stored as a digest (see `stored_key`).
MAX_KEY_CHARS = 200
MAX_HISTORY_LIMIT = 1000
# How long SQLite waits for another process's write before failing, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000


class HistoryStore(Protocol):
    """Investigation history, feedback and the bot's dedup keys."""

    async def record(self, run: RunRecord) -> None:
        """Store a finished run (its result, agents, payload)."""
        ...

    async def history(
        self, *, deployment_id: str | None = None, service: str | None = None, limit: int = 20
    ) -> list[RunSummary]:
        """The newest runs first, optionally of one deployment or service."""
        ...

    async def resolve(self, execution_id: str) -> str:
        """The full id of the run whose id is or starts with `execution_id`."""
        ...

    async def get(self, execution_id: str) -> StoredRun | None:
        """One run with its result, payload caps and feedback; None when unknown."""
        ...

    async def payload(self, execution_id: str) -> StoredPayload | None:
        """The stored (redacted, capped) payload of a run."""
        ...

    async def find_by_message(self, channel: str, ts: str) -> str | None:
        """The run whose answer is the Slack message `ts` in `channel`."""
        ...

    async def add_feedback(self, feedback: FeedbackRecord) -> None:
        """Record a verdict on a run."""
        ...

    async def judged_runs(self) -> list[StoredRun]:
        """Every run that has feedback, oldest first."""
        ...

    async def purge(self, before: datetime) -> PurgeReport:
        """Delete runs started before `before` (with their payloads and feedback)."""
        ...

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Claim `key` for `ttl_s` seconds; False when a live claim of it already exists."""
        ...

    async def release(self, key: str) -> None:
        """Drop a claim early."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


def stored_key(key: str) -> str:
    """The key as stored: itself when short, else its namespace and a SHA-256 digest."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    import hashlib

    namespace = key.split(":", 1)[0][:40]
    return f"{namespace}:sha256:{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; SQLite files get WAL, a busy timeout and foreign keys.

    `postgresql://` and `sqlite:///` URLs are given their async driver.

    Raises:
        StorageError: the SQLite file's directory cannot be created.
        ConfigurationError: the URL's scheme is not supported.
    """
    url = async_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise StorageError(
                f"history database {database!r}: cannot create its folder: {error}"
            ) from None
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # First: switching to WAL needs a lock another process may hold for a moment.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL loses no committed data on a crash of the process, only on a
            # power loss of the machine, and saves an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


@contextlib.asynccontextmanager
async def open_store(
    url: str, *, clock: Clock = time.time, migrate: bool = True
) -> AsyncIterator[SQLHistoryStore]:
    """Connect to the database at `url`, migrate it to the head, and close it on exit.

    Runs the CLI spooled for an SQLite file (`sre.history.spool`) are moved in first.

    Raises:
        StorageError: the database cannot be reached or migrated.
    """
    store = SQLHistoryStore(create_engine(url), clock=clock)
    try:
        if migrate:
            with store.errors("migrate"):
                await ensure_schema(store.engine)
            folder = spool_folder(url)
            if folder is not None:
                await move_in(store, folder)
        yield store
    finally:
        await store.aclose()


def _summary_columns() -> list[Any]:
    return [
        Investigation.execution_id,
        Investigation.trigger,
        Investigation.requested_by,
        Investigation.origin,
        Investigation.deployment_id,
        Investigation.service,
        Investigation.started_at,
        Investigation.finished_at,
        Investigation.engine_version,
        Investigation.top_label,
        Investigation.top_category,
        Investigation.top_score,
        Investigation.requires_human_review,
        Investigation.cost_usd,
        Investigation.prompt_tokens,
        Investigation.completion_tokens,
        Investigation.slack_channel,
        Investigation.slack_ts,
        Investigation.slack_permalink,
        Investigation.replay_of,
    ]


def _summary(row: Any, verdict: tuple[str, str | None] | None) -> RunSummary:
    return RunSummary(
        execution_id=row.execution_id,
        trigger=row.trigger,
        requested_by=row.requested_by,
        origin=row.origin,
        deployment_id=row.deployment_id,
        service=row.service,
        started_at=row.started_at,
        finished_at=row.finished_at,
        engine_version=row.engine_version,
        top_label=row.top_label,
        top_category=row.top_category,
        top_score=row.top_score,
        requires_human_review=row.requires_human_review,
        cost_usd=row.cost_usd,
        total_tokens=row.prompt_tokens + row.completion_tokens,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        slack_permalink=row.slack_permalink,
        replay_of=row.replay_of,
        verdict=verdict[0] if verdict else None,
        verdict_by=verdict[1] if verdict else None,
    )


def _feedback(row: Any) -> FeedbackRecord:
    return FeedbackRecord(
        execution_id=row.execution_id,
        verdict=row.verdict,
        rank=row.rank,
        category=row.category,
        suspects=json.loads(row.suspects_json),
        note=row.note,
        user=row.user,
        source=row.source,
        created_at=row.created_at,
    )


def _investigation_row(run: RunRecord) -> dict[str, Any]:
    result, context = run.result, run.context
    top = result.ranked_hypotheses[0] if result.ranked_hypotheses else None
    return {
        "execution_id": result.execution_id,
        "trigger": context.trigger,
        "requested_by": context.requested_by,
        "origin": context.origin,
        "deployment_id": result.deployment_id,
        "service": run.service,
        "environment": run.environment,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "engine_version": run.engine_version,
        "top_label": top.label if top else None,
        "top_category": top.category if top else None,
        "top_score": top.score if top else None,
        "hypotheses": len(result.ranked_hypotheses),
        "requires_human_review": result.requires_human_review,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "llm_calls": result.usage.calls,
        "cost_usd": result.usage.cost_usd,
        "execution_time_ms": result.execution_time_ms,
        "slack_channel": context.slack_channel,
        "slack_ts": context.slack_ts,
        "slack_permalink": context.slack_permalink,
        "replay_of": context.replay_of,
        "result_json": result.model_dump_json(),
    }


def _agent_rows(result: ExecutionResult) -> list[dict[str, Any]]:
    rows = []
    for outcome in result.agent_outcomes:
        usage = outcome.usage
        rows.append(
            {
                "execution_id": result.execution_id,
                "agent_name": outcome.agent_name,
                "status": outcome.status.value,
                "execution_time_ms": outcome.execution_time_ms,
                "hypotheses_produced": outcome.hypotheses_produced,
                "hypotheses_accepted": outcome.hypotheses_accepted,
                "reason": outcome.reason,
                "fallback_reason": outcome.fallback_reason,
                "model": outcome.model,
                "prompt_tokens": usage.prompt_tokens if usage else 0,
                "completion_tokens": usage.completion_tokens if usage else 0,
                "cost_usd": usage.cost_usd if usage else None,
            }
        )
    return rows


def _payload_row(execution_id: str, payload: StoredPayload) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "body": payload.incident.model_dump_json(exclude_none=True),
        "caps_json": payload.caps.model_dump_json(),
        "cuts_json": payload.cuts.model_dump_json(),
        "fingerprint": payload.fingerprint,
        "original_bytes": payload.cuts.original_bytes,
        "stored_bytes": payload.cuts.stored_bytes,
    }


class SQLHistoryStore:
    """`HistoryStore` on SQLAlchemy's async engine (SQLite or PostgreSQL).

    Args:
        engine: from `create_engine(url)`; the store disposes of it in `aclose`.
        clock: wall-clock seconds for dedup claims (every process must agree on it, so
            not a monotonic clock); injected so tests control expiry.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock = time.time) -> None:
        self.engine = engine
        self._clock = clock

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def describe(self) -> str:
        """The database URL with its password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Turn a database failure into a `StorageError` that names the database."""
        try:
            yield
        except SQLAlchemyError as error:
            detail = " ".join(str(getattr(error, "orig", None) or error).split())[:300]
            raise StorageError(f"history database {self.describe()}: {action}: {detail}") from None
        except OSError as error:
            raise StorageError(f"history database {self.describe()}: {action}: {error}") from None

    # ------------------------------------------------------------------ runs

    async def record(self, run: RunRecord) -> None:
        """Store a finished run in one transaction.

        Raises:
            StorageError: the database failed, or a run with this id is already stored.
        """
        with self.errors("record"):
            try:
                async with self.engine.begin() as connection:
                    await connection.execute(insert(Investigation), _investigation_row(run))
                    agents = _agent_rows(run.result)
                    if agents:
                        await connection.execute(insert(AgentRun), agents)
                    if run.payload is not None:
                        await connection.execute(
                            insert(Payload), _payload_row(run.execution_id, run.payload)
                        )
            except IntegrityError:
                raise StorageError(f"execution {run.execution_id!r} is already recorded") from None

    async def history(
        self, *, deployment_id: str | None = None, service: str | None = None, limit: int = 20
    ) -> list[RunSummary]:
        """The newest runs first (at most `limit`, up to 1,000), with their latest verdict."""
        limit = max(1, min(limit, MAX_HISTORY_LIMIT))
        query: Select[Any] = select(*_summary_columns())
        if deployment_id is not None:
            query = query.where(Investigation.deployment_id == deployment_id)
        if service is not None:
            query = query.where(Investigation.service == service)
        query = query.order_by(
            Investigation.started_at.desc(), Investigation.execution_id.desc()
        ).limit(limit)
        with self.errors("history"):
            async with self.engine.connect() as connection:
                rows = (await connection.execute(query)).all()
                verdicts = await self._latest_verdicts(connection, [r.execution_id for r in rows])
        return [_summary(row, verdicts.get(row.execution_id)) for row in rows]

    async def _latest_verdicts(
        self, connection: AsyncConnection, ids: Sequence[str]
    ) -> dict[str, tuple[str, str | None]]:
        if not ids:
            return {}
        query = (
            select(Feedback.execution_id, Feedback.verdict, Feedback.user)
            .where(Feedback.execution_id.in_(ids))
            .order_by(Feedback.id)
        )
        latest: dict[str, tuple[str, str | None]] = {}
        for row in (await connection.execute(query)).all():
            latest[row.execution_id] = (row.verdict, row.user)
        return latest

    async def resolve(self, execution_id: str) -> str:
        """The full id of the run whose id is, or uniquely starts with, `execution_id`.

        Raises:
            InputError: no run, or more than one, matches.
        """
        prefix = execution_id.strip()
        if not prefix:
            raise InputError("execution id: must not be empty")
        query = (
            select(Investigation.execution_id)
            .where(Investigation.execution_id >= prefix)
            .where(Investigation.execution_id < prefix + "\U0010ffff")
            .order_by(Investigation.execution_id)
            .limit(2)
        )
        with self.errors("resolve"):
            async with self.engine.connect() as connection:
                found = list((await connection.execute(query)).scalars())
        if prefix in found:
            return prefix
        if not found:
            raise InputError(f"execution {prefix!r}: no such run in the history")
        if len(found) > 1:
            raise InputError(f"execution {prefix!r}: ambiguous, matches {found[0]!r} and more")
        return str(found[0])

    async def get(self, execution_id: str) -> StoredRun | None:
        """One run with its result, payload caps and feedback; None when unknown."""
        with self.errors("read"):
            async with self.engine.connect() as connection:
                row = (
                    await connection.execute(
                        select(*_summary_columns(), Investigation.result_json).where(
                            Investigation.execution_id == execution_id
                        )
                    )
                ).first()
                if row is None:
                    return None
                payload = (
                    await connection.execute(
                        select(Payload.caps_json, Payload.cuts_json, Payload.fingerprint).where(
                            Payload.execution_id == execution_id
                        )
                    )
                ).first()
                feedback = await self._feedback_of(connection, [execution_id])
        return self._stored_run(row, payload, feedback.get(execution_id, []))

    @staticmethod
    def _stored_run(row: Any, payload: Any, feedback: list[FeedbackRecord]) -> StoredRun:
        latest = feedback[-1] if feedback else None
        verdict = (latest.verdict, latest.user) if latest else None
        return StoredRun(
            summary=_summary(row, verdict),
            result=ExecutionResult.model_validate_json(row.result_json),
            feedback=feedback,
            payload_caps=PayloadCaps.model_validate_json(payload.caps_json) if payload else None,
            payload_cuts=PayloadCuts.model_validate_json(payload.cuts_json) if payload else None,
            payload_fingerprint=payload.fingerprint if payload else None,
        )

    async def _feedback_of(
        self, connection: AsyncConnection, ids: Sequence[str] | None
    ) -> dict[str, list[FeedbackRecord]]:
        query = select(*Feedback.__table__.columns).order_by(Feedback.id)
        if ids is not None:
            query = query.where(Feedback.execution_id.in_(ids))
        grouped: dict[str, list[FeedbackRecord]] = {}
        for row in (await connection.execute(query)).all():
            grouped.setdefault(row.execution_id, []).append(_feedback(row))
        return grouped

    async def payload(self, execution_id: str) -> StoredPayload | None:
        """The stored payload of a run, None when the run kept none."""
        with self.errors("read payload"):
            async with self.engine.connect() as connection:
                row = (
                    await connection.execute(
                        select(*Payload.__table__.columns).where(
                            Payload.execution_id == execution_id
                        )
                    )
                ).first()
        if row is None:
            return None
        from alpha.schemas import IncidentInput

        return StoredPayload(
            incident=IncidentInput.model_validate_json(row.body),
            caps=PayloadCaps.model_validate_json(row.caps_json),
            cuts=PayloadCuts.model_validate_json(row.cuts_json),
            fingerprint=row.fingerprint,
        )

    async def find_by_message(self, channel: str, ts: str) -> str | None:
        """The run whose answer is the Slack message `ts` in `channel` (the newest if several)."""
        query = (
            select(Investigation.execution_id)
            .where(Investigation.slack_channel == channel, Investigation.slack_ts == ts)
            .order_by(Investigation.started_at.desc())
            .limit(1)
        )
        with self.errors("find message"):
            async with self.engine.connect() as connection:
                found = await connection.scalar(query)
        return None if found is None else str(found)

    # ------------------------------------------------------------------ feedback

    async def add_feedback(self, feedback: FeedbackRecord) -> None:
        """Record a verdict.

        Raises:
            InputError: the run is not in the history.
            StorageError: the database failed.
        """
        row = {
            "execution_id": feedback.execution_id,
            "verdict": feedback.verdict,
            "rank": feedback.rank,
            "category": feedback.category,
            "suspects_json": json.dumps(feedback.suspects),
            "note": feedback.note,
            "user": feedback.user,
            "source": feedback.source,
            "created_at": feedback.created_at,
        }
        with self.errors("add feedback"):
            async with self.engine.begin() as connection:
                known = await connection.scalar(
                    select(func.count())
                    .select_from(Investigation)
                    .where(Investigation.execution_id == feedback.execution_id)
                )
                if not known:
                    raise InputError(
                        f"execution {feedback.execution_id!r}: no such run in the history"
                    )
                await connection.execute(insert(Feedback), row)

    async def judged_runs(self) -> list[StoredRun]:
        """Every run that has feedback, oldest first, with its feedback."""
        judged = select(Feedback.execution_id).distinct()
        query = (
            select(*_summary_columns(), Investigation.result_json)
            .where(Investigation.execution_id.in_(judged))
            .order_by(Investigation.started_at, Investigation.execution_id)
        )
        payloads = select(
            Payload.execution_id, Payload.caps_json, Payload.cuts_json, Payload.fingerprint
        ).where(Payload.execution_id.in_(judged))
        with self.errors("read feedback"):
            async with self.engine.connect() as connection:
                rows = (await connection.execute(query)).all()
                caps = {r.execution_id: r for r in (await connection.execute(payloads)).all()}
                feedback = await self._feedback_of(connection, None)
        return [
            self._stored_run(row, caps.get(row.execution_id), feedback.get(row.execution_id, []))
            for row in rows
        ]

    async def purge(self, before: datetime) -> PurgeReport:
        """Delete runs started before `before`, everything attached to them, and expired keys."""
        old = select(Investigation.execution_id).where(Investigation.started_at < before)
        with self.errors("purge"):
            async with self.engine.begin() as connection:
                for child in (Feedback, AgentRun, Payload):
                    await connection.execute(delete(child).where(child.execution_id.in_(old)))
                runs = await connection.execute(
                    delete(Investigation).where(Investigation.started_at < before)
                )
                keys = await connection.execute(
                    delete(DedupKey).where(DedupKey.expires_at <= self._clock())
                )
        return PurgeReport(runs=runs.rowcount or 0, dedup_keys=keys.rowcount or 0, before=before)

    async def count(self) -> int:
        """How many runs are stored."""
        with self.errors("count"):
            async with self.engine.connect() as connection:
                return int(
                    await connection.scalar(select(func.count()).select_from(Investigation)) or 0
                )

    # ------------------------------------------------------------------ dedup keys

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Claim `key` for `ttl_s` seconds; False when a live claim of it already exists."""
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        now = self._clock()
        claim = dialect_insert(DedupKey).values(key=stored_key(key), expires_at=now + ttl_s)
        statement = claim.on_conflict_do_update(
            index_elements=[DedupKey.key],
            set_={"expires_at": claim.excluded.expires_at},
            where=DedupKey.expires_at <= now,
        ).returning(DedupKey.key)
        with self.errors("claim"):
            async with self.engine.begin() as connection:
                won = (await connection.execute(statement)).first()
        return won is not None

    async def release(self, key: str) -> None:
        """Drop a claim early (a finished run frees its Rerun button)."""
        with self.errors("release"):
            async with self.engine.begin() as connection:
                await connection.execute(delete(DedupKey).where(DedupKey.key == stored_key(key)))

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

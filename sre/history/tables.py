"""The tables of the history store (SQLAlchemy 2.0 declarative models).

The schema is created and changed only by the Alembic migrations in
`sre/history/migrations/versions/`; these models describe the head revision, and a test
checks that the two agree (autogenerate finds no difference).

    investigations   one row per finished run: who/where/how, times, engine version, the
                     ranked result's headline, usage and cost, the Slack message, and the
                     whole redacted `ExecutionResult` as JSON
    agent_runs       one row per agent of a run: status, time, hypotheses, LLM usage
    payloads         the redacted, capped payload of a run (enough to replay), its caps,
                     what was cut, and the fingerprint of the payload as investigated
    feedback         verdicts on runs (correct / wrong, the real cause, who, when)
    dedup_keys       the bot's at-most-once claims (primary key = unique key)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names are fixed so that migrations can name what they alter on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    PostgreSQL keeps the zone (`timestamptz`); SQLite has no zone, so UTC is stored naive
    and made aware again when read. ISO strings in UTC also sort correctly in SQLite.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    """Declarative base with the fixed naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Investigation(Base):
    """One finished investigation."""

    __tablename__ = "investigations"

    execution_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(255))
    origin: Mapped[str | None] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    engine_version: Mapped[str] = mapped_column(String(64))
    top_label: Mapped[str | None] = mapped_column(Text)
    top_category: Mapped[str | None] = mapped_column(String(64))
    top_score: Mapped[float | None] = mapped_column(Float)
    hypotheses: Mapped[int] = mapped_column(Integer)
    requires_human_review: Mapped[bool] = mapped_column(Boolean)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    llm_calls: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    execution_time_ms: Mapped[float] = mapped_column(Float)
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    slack_permalink: Mapped[str | None] = mapped_column(Text)
    replay_of: Mapped[str | None] = mapped_column(String(64))
    result_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_investigations_started_at", "started_at", "execution_id"),
        Index("ix_investigations_deployment", "deployment_id", "started_at"),
        Index("ix_investigations_service", "service", "started_at"),
        Index("ix_investigations_slack", "slack_channel", "slack_ts"),
    )


class AgentRun(Base):
    """How one agent of a run ended."""

    __tablename__ = "agent_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("investigations.execution_id", ondelete="CASCADE"), index=True
    )
    agent_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20))
    execution_time_ms: Mapped[float] = mapped_column(Float)
    hypotheses_produced: Mapped[int] = mapped_column(Integer)
    hypotheses_accepted: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(255))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)


class Payload(Base):
    """The stored payload of a run (redacted, capped JSON text)."""

    __tablename__ = "payloads"

    execution_id: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("investigations.execution_id", ondelete="CASCADE"),
        primary_key=True,
    )
    body: Mapped[str] = mapped_column(Text)
    caps_json: Mapped[str] = mapped_column(Text)
    cuts_json: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    original_bytes: Mapped[int] = mapped_column(Integer)
    stored_bytes: Mapped[int] = mapped_column(Integer)


class Feedback(Base):
    """A verdict on a run."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("investigations.execution_id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(64))
    suspects_json: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DedupKey(Base):
    """An at-most-once claim: the primary key makes a second claim of a live key fail."""

    __tablename__ = "dedup_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)

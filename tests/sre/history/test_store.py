"""The history store on a real SQLite file and a real PostgreSQL server (each test on both)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from alpha.core.errors import InputError, StorageError
from sre.history.store import open_store, stored_key
from tests.sre.history.conftest import T0, feedback, record


async def test_history_lists_newest_first_with_filters(database_url: str) -> None:
    """Runs come back newest first; deployment, service and limit filter them."""
    async with open_store(database_url) as store:
        await store.record(record("a1", deployment_id="d-1", started_at=T0))
        await store.record(record("a2", deployment_id="d-2", started_at=T0 + timedelta(minutes=1)))
        await store.record(
            record(
                "a3", deployment_id="d-1", service="billing", started_at=T0 + timedelta(minutes=2)
            )
        )
        assert [r.execution_id for r in await store.history()] == ["a3", "a2", "a1"]
        assert [r.execution_id for r in await store.history(deployment_id="d-1")] == ["a3", "a1"]
        assert [r.execution_id for r in await store.history(service="billing")] == ["a3"]
        assert [r.execution_id for r in await store.history(limit=1)] == ["a3"]


async def test_summary_keeps_who_where_usage_and_slack(database_url: str) -> None:
    """A summary carries the trigger, requester, origin, headline, tokens, cost and message."""
    run = record(
        "b1",
        trigger="slash_command",
        requested_by="U42",
        origin="slack:C1",
        slack_channel="C1",
        slack_ts="1700000001.000001",
        slack_permalink="https://x.slack.com/archives/C1/p1700000001000001",
    )
    async with open_store(database_url) as store:
        await store.record(run)
        (summary,) = await store.history()
    assert summary.trigger == "slash_command"
    assert (summary.requested_by, summary.origin) == ("U42", "slack:C1")
    assert (summary.slack_channel, summary.slack_ts) == ("C1", "1700000001.000001")
    assert summary.slack_permalink is not None and summary.slack_permalink.endswith("000001")
    assert (summary.top_label, summary.top_category, summary.top_score) == (
        "pool_size lowered",
        "config_change",
        0.9,
    )
    assert summary.total_tokens == 120 and summary.cost_usd == pytest.approx(0.01)
    assert summary.started_at == T0 and summary.started_at.tzinfo is not None
    assert summary.engine_version == "0.1.0+test"


async def test_get_returns_result_agents_payload_caps_and_feedback(database_url: str) -> None:
    """`get` gives the whole result back, the payload's caps and every verdict in order."""
    async with open_store(database_url) as store:
        await store.record(record("c1"))
        await store.add_feedback(feedback("c1", "correct", user="U1"))
        await store.add_feedback(
            feedback("c1", "wrong", user="U2", category="code_regression", suspects=["abc1234"])
        )
        run = await store.get("c1")
        payload = await store.payload("c1")
    assert run is not None and payload is not None
    assert run.result == record("c1").result
    assert [f.user for f in run.feedback] == ["U1", "U2"]
    assert run.summary.verdict == "wrong" and run.summary.verdict_by == "U2"
    assert run.feedback[1].suspects == ["abc1234"]
    assert run.payload_cuts is not None and run.payload_cuts.stored_bytes == 280
    assert payload.incident.deployment_id == "deploy-1"
    assert payload.fingerprint == "f" * 64


async def test_agent_outcomes_have_their_own_rows(database_url: str) -> None:
    """Each agent's outcome is a row: status, time, reason, model and LLM usage."""
    from sqlalchemy import select

    from sre.history.tables import AgentRun

    async with open_store(database_url) as store:
        await store.record(record("d1"))
        async with store.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(AgentRun.agent_name, AgentRun.status, AgentRun.model, AgentRun.cost_usd)
                    .where(AgentRun.execution_id == "d1")
                    .order_by(AgentRun.agent_name)
                )
            ).all()
    assert [tuple(r) for r in rows] == [
        ("ConfigAgent", "ok", "m/one", pytest.approx(0.01)),
        ("LogAgent", "timed_out", None, None),
    ]


async def test_resolve_accepts_a_unique_prefix(database_url: str) -> None:
    """An id prefix resolves when unique; ambiguous and unknown ones are named errors."""
    async with open_store(database_url) as store:
        await store.record(record("abc111"))
        await store.record(record("abc222"))
        assert await store.resolve("abc1") == "abc111"
        assert await store.resolve("abc222") == "abc222"
        with pytest.raises(InputError, match="ambiguous"):
            await store.resolve("abc")
        with pytest.raises(InputError, match="no such run"):
            await store.resolve("zzz")


async def test_recording_an_id_twice_is_refused(database_url: str) -> None:
    """A second record of one execution id fails with a clear error, the first stays."""
    async with open_store(database_url) as store:
        await store.record(record("e1"))
        with pytest.raises(StorageError, match="already recorded"):
            await store.record(record("e1"))
        assert len(await store.history()) == 1


async def test_feedback_on_an_unknown_run_is_refused(database_url: str) -> None:
    """Feedback must name a stored run."""
    async with open_store(database_url) as store:
        with pytest.raises(InputError, match="no such run"):
            await store.add_feedback(feedback("nope"))


async def test_judged_runs_are_the_runs_with_feedback(database_url: str) -> None:
    """Only runs with a verdict are returned, oldest first, with their verdicts."""
    async with open_store(database_url) as store:
        await store.record(record("f1", started_at=T0))
        await store.record(record("f2", started_at=T0 + timedelta(minutes=1)))
        await store.record(record("f3", started_at=T0 + timedelta(minutes=2)))
        await store.add_feedback(feedback("f3"))
        await store.add_feedback(feedback("f1", "correct"))
        judged = await store.judged_runs()
    assert [r.summary.execution_id for r in judged] == ["f1", "f3"]
    assert [r.latest_feedback.verdict for r in judged if r.latest_feedback] == ["correct", "wrong"]


async def test_purge_deletes_old_runs_with_everything_attached(
    database_url: str, clock: list[float]
) -> None:
    """Runs started before the cut go with their agents, payload and feedback; expired keys too."""
    from sqlalchemy import func, select

    from sre.history.tables import AgentRun, Feedback, Payload

    async with open_store(database_url, clock=lambda: clock[0]) as store:
        await store.record(record("old", started_at=T0))
        await store.record(record("new", started_at=T0 + timedelta(days=10)))
        await store.add_feedback(feedback("old"))
        assert await store.claim("expired", 10)
        assert await store.claim("live", 1000)
        clock[0] += 100
        report = await store.purge(T0 + timedelta(days=5))
        assert (report.runs, report.dedup_keys) == (1, 1)
        assert [r.execution_id for r in await store.history()] == ["new"]
        async with store.engine.connect() as connection:
            for table in (AgentRun, Payload, Feedback):
                left = await connection.scalar(
                    select(func.count()).select_from(table).where(table.execution_id == "old")
                )
                assert left == 0, table.__tablename__
        assert not await store.claim("live", 1000)


async def test_claim_is_at_most_once_until_it_expires(
    database_url: str, clock: list[float]
) -> None:
    """A live key cannot be claimed again; an expired or released one can."""
    async with open_store(database_url, clock=lambda: clock[0]) as store:
        assert await store.claim("event:Ev1", 60)
        assert not await store.claim("event:Ev1", 60)
        clock[0] += 59
        assert not await store.claim("event:Ev1", 60)
        clock[0] += 2
        assert await store.claim("event:Ev1", 60)
        await store.release("event:Ev1")
        assert await store.claim("event:Ev1", 60)


async def test_long_keys_are_stored_as_digests(database_url: str, clock: list[float]) -> None:
    """A hostile 100,000-character key is stored at a fixed size and still deduplicated."""
    key = "event:" + "x" * 100_000
    assert len(stored_key(key)) < 120 and stored_key(key).startswith("event:sha256:")
    async with open_store(database_url, clock=lambda: clock[0]) as store:
        assert await store.claim(key, 60)
        assert not await store.claim(key, 60)
        assert await store.claim(key + "y", 60)


async def test_two_stores_racing_for_one_key_let_exactly_one_win(database_url: str) -> None:
    """Forty concurrent claims of one key through two engines (two 'processes'): one wins."""
    async with open_store(database_url) as first, open_store(database_url) as second:
        stores = [first, second] * 20
        wins = await asyncio.gather(*(s.claim("alert:sentry:42", 3600) for s in stores))
    assert sum(wins) == 1


async def test_unreachable_database_is_a_storage_error_without_password() -> None:
    """A server that does not answer gives one StorageError naming it, password hidden."""
    url = "postgresql+asyncpg://alpha:hunter2secret@127.0.0.1:9/alpha"
    with pytest.raises(StorageError) as caught:
        async with open_store(url):
            pass
    assert "127.0.0.1:9" in str(caught.value)
    assert "hunter2secret" not in str(caught.value)

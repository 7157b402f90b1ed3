"""The bot's memory through the real Bolt app, the loopback Slack and a real SQLite store.

Runs are recorded with who asked and where; Correct/Wrong are stored with the user id;
Wrong opens the real-cause modal whose submission is stored; `/alpha history` lists runs
with links; Rerun replays the stored payload when the sources are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.history import BotHistory
from sre.history.store import SQLHistoryStore, open_store
from tests.bot.harness import (
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLHistoryStore]:
    """A real SQLite history store in a temp folder."""
    async with open_store(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as opened:
        yield opened


def _engine() -> ScriptedEngine:
    return ScriptedEngine(hypotheses=[ranked("Pool shrunk", 1), ranked("Bad commit", 2)])


def _final(slack: FakeSlack) -> dict[str, Any]:
    """The last chat.update that carries the final message (with the Rerun button)."""
    finals = [c.body for c in slack.of("chat.update") if "alpha_rerun" in json.dumps(c.body)]
    assert finals, "no final message"
    return finals[-1]


def _button(
    final: dict[str, Any], rank: int, verdict: str, *, user: str = "U2", channel: str = "C1"
) -> dict[str, Any]:
    """A block_actions payload clicking `verdict` on hypothesis `rank` of the final message."""
    blocks = final["blocks"]
    actions = next(b for b in blocks if b.get("block_id") == f"alpha_feedback_{rank}")
    button = next(e for e in actions["elements"] if e["action_id"].endswith(f"{verdict}_{rank}"))
    return {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0001"},
        "channel": {"id": channel},
        "message": {"ts": final["ts"], "text": final["text"], "blocks": blocks},
        "trigger_id": "trigger-1",
        "actions": [dict(button, block_id=actions["block_id"], action_ts="1")],
    }


async def _investigate(server: BotServer, slack: FakeSlack, runs: int = 1) -> dict[str, Any]:
    await server.command("investigate deploy-42", user="U1", channel="C1")
    await wait_finished(server.bot, runs)
    return _final(slack)


async def test_a_slash_command_run_is_recorded_with_who_where_and_a_link(
    store: SQLHistoryStore,
) -> None:
    """The run, its trigger, requester, channel, message ts and permalink are stored."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        await wait_for(lambda: len(slack.of("chat.getPermalink")) == 1)
        await wait_for(lambda: server.bot.manager.active == 0)
    (run,) = await store.history()
    assert (run.execution_id, run.trigger, run.requested_by) == ("exec-1", "slash_command", "U1")
    assert (run.origin, run.slack_channel, run.slack_ts) == ("slack:C1", "C1", final["ts"])
    assert (
        run.slack_permalink == f"https://fake.slack.com/archives/C1/p{final['ts'].replace('.', '')}"
    )
    payload = await store.payload("exec-1")
    assert payload is not None and payload.incident.deployment_id == "deploy-42"


async def test_correct_is_stored_with_the_user_and_shown(store: SQLHistoryStore) -> None:
    """Correct on #1: a verdict by U2 in the store, and the message says who confirmed it."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        updates = len(slack.of("chat.update"))
        assert (await server.action(_button(final, 1, "correct")))[0] == 200
        await wait_for(lambda: len(slack.of("chat.update")) == updates + 1)
        shown = json.dumps(slack.of("chat.update")[-1].body["blocks"])
    assert "marked *correct* by <@U2>" in shown
    run = await store.get("exec-1")
    assert run is not None
    assert [(f.verdict, f.rank, f.user, f.source) for f in run.feedback] == [
        ("correct", 1, "U2", "slack")
    ]
    assert slack.of("views.open") == []


async def test_wrong_opens_the_modal_and_its_submission_stores_the_real_cause(
    store: SQLHistoryStore,
) -> None:
    """Wrong stores a verdict and opens the modal; the submission stores category, suspect, note."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        await server.action(_button(final, 1, "wrong"))
        await wait_for(lambda: len(slack.of("views.open")) == 1)
        opened = slack.of("views.open")[0].body
        view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
        assert opened["trigger_id"] == "trigger-1"
        assert view["callback_id"] == "alpha_feedback_modal"
        metadata = json.loads(view["private_metadata"])
        assert metadata == {"x": "exec-1", "r": 1, "c": "C1", "t": final["ts"]}
        submission = {
            "type": "view_submission",
            "user": {"id": "U2"},
            "team": {"id": "T0001"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "alpha_feedback_modal",
                "private_metadata": view["private_metadata"],
                "state": {
                    "values": {
                        "alpha_cause_category": {
                            "category": {
                                "type": "static_select",
                                "selected_option": {"value": "code_regression"},
                            }
                        },
                        "alpha_cause_suspect": {"suspect": {"value": "abc1234"}},
                        "alpha_cause_note": {"note": {"value": "the commit, not the pool"}},
                    }
                },
            },
        }
        status, _ = await server.action(submission)
        assert status == 200
        await wait_for(
            lambda: any("corrected" in c.body.get("text", "") for c in slack.of("chat.postMessage"))
        )
        told = next(c.body for c in slack.of("chat.postMessage") if "corrected" in c.body["text"])
    assert told["thread_ts"] == final["ts"] and "<@U2>" in told["text"]
    assert "`code_regression`" in told["text"] and "`abc1234`" in told["text"]
    run = await store.get("exec-1")
    assert run is not None
    latest = run.feedback[-1]
    assert (latest.verdict, latest.category, latest.suspects, latest.user) == (
        "wrong",
        "code_regression",
        ["abc1234"],
        "U2",
    )
    assert latest.note == "the commit, not the pool"
    assert run.summary.verdict == "wrong"


async def test_a_submission_without_category_is_refused_in_the_modal(
    store: SQLHistoryStore,
) -> None:
    """No category: the modal shows an error on that field and nothing is stored."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        metadata = json.dumps({"x": "exec-1", "r": 1, "c": "C1", "t": final["ts"]})
        status, body = await server.action(
            {
                "type": "view_submission",
                "user": {"id": "U2"},
                "team": {"id": "T0001"},
                "view": {
                    "id": "V1",
                    "type": "modal",
                    "callback_id": "alpha_feedback_modal",
                    "private_metadata": metadata,
                    "state": {"values": {}},
                },
            }
        )
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "alpha_cause_category" in answer["errors"]
    run = await store.get("exec-1")
    assert run is not None and run.feedback == []


async def test_a_forged_button_value_stores_nothing(store: SQLHistoryStore) -> None:
    """A verdict naming a run from another message is not stored."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        forged = _button(final, 1, "correct")
        forged["message"]["ts"] = "1699999999.000001"
        await server.action(forged)
        await wait_for(lambda: len(slack.of("chat.update")) >= 1)
    run = await store.get("exec-1")
    assert run is not None and run.feedback == []


async def test_history_command_lists_recent_runs_with_links(store: SQLHistoryStore) -> None:
    """`/alpha history` answers privately with each run, its top hypothesis and link."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        await wait_for(lambda: server.bot.manager.active == 0)
        status, body = await server.command("history deploy-42", user="U1", channel="C1")
        other_status, other = await server.command("history deploy-0", user="U1", channel="C1")
    assert status == 200 and other_status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    link = f"https://fake.slack.com/archives/C1/p{final['ts'].replace('.', '')}"
    assert f"<{link}|exec-1>" in answer["text"] and "Pool shrunk" in answer["text"]
    assert "No investigation of `deploy-0` recorded yet." in json.loads(other)["text"]


async def test_rerun_replays_the_stored_payload_when_sources_are_unchanged(
    store: SQLHistoryStore,
) -> None:
    """The same payload fetched again: the stored one is replayed and the message says so."""
    engine = _engine()
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, engine, FakeSources(), store=store)) as server,
    ):
        final = await _investigate(server, slack)
        rerun = _button(final, 1, "correct")
        rerun["actions"] = [
            {
                "type": "button",
                "action_id": "alpha_rerun",
                "block_id": "alpha_run_actions",
                "value": json.dumps({"kind": "deployment", "id": "deploy-42"}),
                "action_ts": "2",
            }
        ]
        await server.action(rerun)
        await wait_finished(server.bot, 2)
        note = json.dumps(_final(slack)["blocks"])
    assert "Replayed the stored payload of exec-1: the live sources are unchanged." in note
    runs = await store.history()
    assert [(r.execution_id, r.trigger) for r in runs] == [
        ("exec-2", "button"),
        ("exec-1", "slash_command"),
    ]


async def test_rerun_refetches_when_the_sources_changed(store: SQLHistoryStore) -> None:
    """A different payload fetched again: it is used, and the message says the sources changed."""
    sources = FakeSources()
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), sources, store=store)) as server,
    ):
        final = await _investigate(server, slack)
        original = sources.deployment

        async def changed(deployment_id: str, *, progress: Any) -> Any:
            assembly = await original(deployment_id, progress=progress)
            assert assembly.incident is not None
            logs = [*assembly.incident.logs, "2026-11-20T14:09:00Z ERROR a new line"]
            return type(assembly)(assembly.incident.model_copy(update={"logs": logs}), [], None)

        server.bot.runner.services.assemble_deployment = changed
        rerun = _button(final, 1, "correct")
        rerun["actions"] = [
            {
                "type": "button",
                "action_id": "alpha_rerun",
                "block_id": "alpha_run_actions",
                "value": json.dumps({"kind": "deployment", "id": "deploy-42"}),
                "action_ts": "2",
            }
        ]
        await server.action(rerun)
        await wait_finished(server.bot, 2)
        note = json.dumps(_final(slack)["blocks"])
    assert "Re-fetched: the live sources changed since run exec-1." in note
    payload = await store.payload("exec-2")
    assert payload is not None and payload.incident.logs[-1].endswith("a new line")


async def test_retention_purges_runs_older_than_the_setting(store: SQLHistoryStore) -> None:
    """With 30 days of retention, a run 31 days old is purged and a newer one kept."""
    from sre.history.capture import capture
    from sre.history.records import RunContext
    from tests.bot.harness import incident

    now = datetime(2026, 12, 20, tzinfo=UTC)
    for name, age in (("old", 31), ("new", 29)):
        result = (await _engine()(incident(), subscribers=[], gaps=[])).model_copy(
            update={"execution_id": name, "started_at": now - timedelta(days=age)}
        )
        await store.record(capture(incident(), result, RunContext(trigger="cli")))
    history = BotHistory(store, None, retention_days=30, clock=lambda: now)  # type: ignore[arg-type]
    report = await history.purge_expired()
    assert report is not None and report.runs == 1
    assert [r.execution_id for r in await store.history()] == ["new"]
    assert await BotHistory(store, None, retention_days=0).purge_expired() is None  # type: ignore[arg-type]


async def test_a_failing_database_never_stops_the_answer(tmp_path: Path) -> None:
    """With every query failing (a database without its tables), the final message still
    lands and `/alpha history` says the database did not answer."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    async with (
        open_store(url, migrate=False) as broken,
        FakeSlack() as slack,
        BotServer(make_bot(slack, _engine(), FakeSources(), store=broken)) as server,
    ):
        final = await _investigate(server, slack)
        await wait_for(lambda: server.bot.manager.active == 0)
        _, body = await server.command("history", user="U1", channel="C1")
    assert "Pool shrunk" in json.dumps(final["blocks"])
    assert "did not answer" in json.loads(body)["text"]

"""At-most-once runs: replayed signed requests, redeliveries after a restart, forged buttons."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.bot.harness import (
    SECRET,
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    sentry_alert,
    trigger_id,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack

FORM = "application/x-www-form-urlencoded"


def _signed_command(text: str) -> tuple[str, dict[str, str]]:
    """A `/alpha` body and its signature headers, ready to be sent (and sent again)."""
    body = urlencode(
        {
            "command": "/alpha",
            "text": text,
            "user_id": "U1",
            "channel_id": "C1",
            "team_id": "T0001",
            "trigger_id": trigger_id(),
            "response_url": "",
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}


async def test_a_signed_command_replayed_three_times_in_a_second_runs_once() -> None:
    """The same signed `/alpha investigate` sent 3 times is acked each time and runs once."""
    sources, engine = FakeSources(), ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        body, headers = _signed_command("investigate deploy-42")
        answers = await asyncio.gather(*(server.post_raw(body, headers, FORM) for _ in range(3)))
        assert sorted(status for status, _ in answers) == [200, 200, 200]
        # One answer carries the ack text; the replays get an empty 200.
        assert sorted(bool(text) for _, text in answers) == [False, False, True]
        await wait_finished(server.bot)
        assert engine.runs == 1 and sources.calls == [("deployment", "deploy-42")]
        assert len([p for p in slack.of("chat.postMessage") if not p.body.get("thread_ts")]) == 1


async def test_a_request_replayed_after_its_run_finished_starts_nothing() -> None:
    """Replaying a valid request once its investigation has ended does not run it again."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        body, headers = _signed_command("investigate deploy-42")
        assert (await server.post_raw(body, headers, FORM))[0] == 200
        await wait_finished(server.bot)
        status, text = await server.post_raw(body, headers, FORM)
        assert status == 200 and text == ""
        assert server.bot.manager.started == 1 and engine.runs == 1


async def test_a_replay_with_a_fresh_signature_is_caught_by_its_trigger_id() -> None:
    """Re-signing the same command (a new timestamp) does not help: its trigger id was seen."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        body, _ = _signed_command("investigate deploy-42")
        assert (await server.post_signed(body, FORM))[0] == 200
        await wait_finished(server.bot)
        status, text = await server.post_signed(body, FORM, timestamp=int(time.time()) + 1)
        assert status == 200 and text == ""
        assert engine.runs == 1


async def test_an_alert_redelivered_after_a_restart_runs_once(tmp_path: Path) -> None:
    """A Sentry alert event seen before a restart is ignored after it (claims are on disk)."""
    store = str(tmp_path / "dedup.sqlite3")
    sources, engine = FakeSources(), ScriptedEngine()
    alert = sentry_alert(4512345678, ts="1700000100.000100")
    async with FakeSlack() as slack:
        for life in range(2):  # the bot, then the same bot restarted on the same store
            bot = make_bot(slack, engine, sources, alert_channels="CALERT", dedup_path=store)
            async with BotServer(bot) as server:
                status, _ = await server.event(alert, event_id="EvAlert", retry_num=life or None)
                assert status == 200
                if life == 0:
                    await wait_finished(bot)
        assert sources.calls == [("sentry_issue", "4512345678")]
        assert engine.runs == 1


async def test_the_same_issue_under_a_new_event_id_after_a_restart_runs_once(
    tmp_path: Path,
) -> None:
    """The per-issue window also survives a restart: a repeat alert (new event) starts nothing."""
    store = str(tmp_path / "dedup.sqlite3")
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        for life, event_id in enumerate(("EvA", "EvB")):
            bot = make_bot(slack, engine, sources, alert_channels="CALERT", dedup_path=store)
            async with BotServer(bot) as server:
                alert = sentry_alert(77, ts=f"170000010{life}.000100")
                assert (await server.event(alert, event_id=event_id))[0] == 200
                if life == 0:
                    await wait_finished(bot)
        assert sources.calls == [("sentry_issue", "77")]


def _rerun_click(value: str, slack: FakeSlack) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T0001"},
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": "1700000001.000001"},
        "message": {"ts": "1700000001.000001", "text": "old", "blocks": []},
        "response_url": slack.response_url("rerun"),
        "trigger_id": trigger_id(),
        "actions": [
            {
                "type": "button",
                "action_id": "alpha_rerun",
                "block_id": "alpha_run_actions",
                "value": value,
                "action_ts": "1.1",
            }
        ],
    }


async def test_forged_rerun_values_are_validated_like_typed_input() -> None:
    """A Rerun value that typed input would refuse starts nothing and queries no source."""
    forged = [
        json.dumps({"kind": "deployment", "id": "<!channel> ../../x"}),
        json.dumps({"kind": "deployment", "id": "../../x"}),
        json.dumps({"kind": "deployment", "id": "a" * 201}),
        json.dumps({"kind": "sentry_issue", "id": "42/../../admin"}),
        json.dumps({"kind": "shell", "id": "ls"}),
        json.dumps({"kind": "deployment", "id": "d-1", "extra": 1}),
        json.dumps(["deployment", "d-1"]),
        "[" * 50_000,
        "x" * 3000,
    ]
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        for value in forged:
            status, _ = await server.action(_rerun_click(value, slack))
            assert status == 200
        # The control: a well-formed value is run.
        good = json.dumps({"kind": "deployment", "id": "deploy-42"})
        assert (await server.action(_rerun_click(good, slack)))[0] == 200
        await wait_finished(server.bot)
        assert sources.calls == [("deployment", "deploy-42")]
        assert "&lt;!channel&gt;" not in slack.bodies() and "<!channel>" not in slack.bodies()


async def test_a_rerun_can_run_again_once_the_previous_one_finished() -> None:
    """The Rerun claim on a message lasts while its run is active, then is released."""
    gate = asyncio.Event()
    sources, engine = FakeSources(), ScriptedEngine(gate=gate)
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        value = json.dumps({"kind": "deployment", "id": "deploy-42"})
        await server.action(_rerun_click(value, slack))
        await wait_for(lambda: engine.runs == 1)
        await server.action(_rerun_click(value, slack))  # a second click while it runs
        gate.set()
        await wait_finished(server.bot)
        assert server.bot.manager.started == 1
        await server.action(_rerun_click(value, slack))  # after it finished: a new run
        await wait_finished(server.bot, runs=2)
        assert engine.runs == 2

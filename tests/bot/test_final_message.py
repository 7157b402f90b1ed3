"""Every investigation ends in a final message, whatever Slack answers in the meantime."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.bot.harness import (
    BotServer,
    FakeSources,
    ScriptedEngine,
    VirtualTime,
    make_bot,
    ranked,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack, Scripted, rate_limited, server_error


def _text(body: dict[str, Any]) -> str:
    return json.dumps(body.get("blocks", [])) + str(body.get("text", ""))


def _final_updates(slack: FakeSlack, answered_after: float) -> list[dict[str, Any]]:
    """`chat.update` bodies carrying the final ranking, sent once the outage was over."""
    return [
        c.body
        for c in slack.of("chat.update")
        if c.at >= answered_after and "Pool lowered" in _text(c.body)
    ]


@pytest.mark.parametrize(
    ("outage_s", "answer"),
    [
        (10, server_error(500)),  # 500 for 10 s: used to give up after 5 attempts
        (90, rate_limited(retry_after=30)),  # 429 for 90 s: used to give up after ~21 s
        (60, Scripted(status=502, raw="Bad Gateway", content_type="text/plain")),
        (60, Scripted(body={"ok": False})),  # `ok: false` and no `error` at all
    ],
)
async def test_the_final_state_lands_after_a_chat_update_outage(
    outage_s: float, answer: Scripted
) -> None:
    """During an outage of chat.update the run goes on; the final state lands once after it."""
    vt = VirtualTime()
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack(clock=vt.clock) as slack:
        slack.outage("chat.update", outage_s, answer)
        bot = make_bot(slack, engine, FakeSources(), virtual=vt)
        async with BotServer(bot) as server:
            assert (await server.command("investigate deploy-42"))[0] == 200
            await wait_finished(bot)
        finals = _final_updates(slack, answered_after=outage_s)
        assert len(finals) == 1, "the final state lands, once"
        assert slack.of("chat.update")[-1].body == finals[0]
        assert bot.runner.publisher_stats[0].final_landed
        # Nothing fell back to a second message: the thread holds only the signal list.
        thread = [p.body for p in slack.of("chat.postMessage") if p.body.get("thread_ts")]
        assert all("could not update" not in _text(b) for b in thread)


async def test_edits_refused_past_the_deadline_fall_back_to_a_thread_message() -> None:
    """When chat.update never recovers, the final state is posted in the message's thread."""
    vt = VirtualTime()
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack(clock=vt.clock) as slack:
        slack.outage("chat.update", 100_000, server_error(503))
        bot = make_bot(slack, engine, FakeSources(), virtual=vt, final_deadline=120)
        async with BotServer(bot) as server:
            await server.command("investigate deploy-42")
            await wait_finished(bot)
        top = next(p.body for p in slack.of("chat.postMessage") if not p.body.get("thread_ts"))
        fallback = [
            p.body
            for p in slack.of("chat.postMessage")
            if p.body.get("thread_ts") and "could not update the message above" in p.body["text"]
        ]
        assert len(fallback) == 1 and "Pool lowered" in _text(fallback[0])
        # The note is shown in the message itself, not only in its notification text.
        assert (
            "could not update the message above" in fallback[0]["blocks"][0]["elements"][0]["text"]
        )
        assert fallback[0]["thread_ts"] == "1700000001.000001" and top["channel"] == "C1"
        assert not bot.runner.publisher_stats[0].final_landed
        assert vt.now >= 120


async def test_when_slack_refuses_every_message_the_requester_is_told_privately() -> None:
    """Edits and thread posts both failing: the final state reaches the requester's response_url."""
    vt = VirtualTime()
    gate = asyncio.Event()
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)], gate=gate)
    async with FakeSlack(clock=vt.clock) as slack:
        slack.outage("chat.update", 100_000, server_error(500))
        bot = make_bot(slack, engine, FakeSources(), virtual=vt, final_deadline=60)
        async with BotServer(bot) as server:
            await server.command("investigate deploy-42", response_url=slack.response_url())
            await wait_for(lambda: engine.runs == 1)
            # The first message is up; from now on posting fails too (an HTML error page).
            slack.outage("chat.postMessage", 100_000, server_error(502))
            gate.set()
            await wait_finished(bot, timeout=20)
        notes = [r.body for r in slack.responses]
        assert len(notes) == 1
        assert notes[0]["response_type"] == "ephemeral"
        assert "Pool lowered" in notes[0]["text"]


@pytest.mark.parametrize(
    "answer",
    [
        server_error(500),
        Scripted(status=200, raw="OK", content_type="text/plain"),
        Scripted(status=200, raw="[1, 2]", content_type="application/json"),
        Scripted(status=200, raw="{not json", content_type="application/json"),
        Scripted(body={"ok": False}),
    ],
)
async def test_a_first_post_refused_with_an_odd_body_tells_the_requester(answer: Scripted) -> None:
    """HTML, plain text, a JSON list, bad JSON or no `error`: no crash, the requester is told."""
    engine = ScriptedEngine()
    async with FakeSlack() as slack:
        slack.outage("chat.postMessage", 100_000, answer)
        bot = make_bot(slack, engine, FakeSources())
        async with BotServer(bot) as server:
            await server.command("investigate deploy-42", response_url=slack.response_url())
            await wait_for(lambda: len(slack.responses) == 1, timeout=10)
            await wait_finished(bot, timeout=10)
        note = slack.responses[0].body
        assert note["response_type"] == "ephemeral"
        assert note["text"].startswith("I could not post in this channel (`")
        assert engine.runs == 0


async def test_acks_do_not_wait_for_a_slow_slack_once_started() -> None:
    """With every Slack call slow, `auth.test` runs at start-up and the first command's ack
    waits for no Slack call at all."""
    engine = ScriptedEngine()
    async with FakeSlack() as slack:
        slack.delay_all = 1.0
        bot = make_bot(slack, engine, FakeSources())
        await bot.verify_token()  # what `python -m bot` does before it listens
        assert slack.answered == ["auth.test"]
        async with BotServer(bot) as server:
            status, text = await server.command("investigate deploy-42")
            assert status == 200 and "Investigating" in json.loads(text)["text"]
            # The ack came back while no other Slack call had been answered.
            assert slack.answered == ["auth.test"]
            await wait_finished(bot, timeout=30)
        assert len(slack.of("auth.test")) == 1

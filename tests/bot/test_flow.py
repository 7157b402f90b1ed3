"""End-to-end behaviour of the bot over HTTP: commands, alerts, buttons, queueing."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bot.investigations import InvestigationManager
from tests.bot.harness import (
    AGENTS,
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    sentry_alert,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack


def _texts(call_body: dict[str, Any]) -> str:
    return json.dumps(call_body.get("blocks", [])) + call_body.get("text", "")


async def _investigate(server: BotServer, text: str = "investigate deploy-42") -> None:
    """Run one `/alpha` command to its end."""
    status, _ = await server.command(text)
    assert status == 200
    await wait_finished(server.bot)


async def test_command_posts_one_message_edits_it_and_shows_the_ranking() -> None:
    """One chat.postMessage, then chat.updates of that ts; the final lists rank 1 first."""
    engine = ScriptedEngine(
        hypotheses=[
            ranked("Pool size lowered in 9f3c2ab", 1, contributing_agents=["ConfigAgent"]),
            ranked("Database overloaded", 2, category="database", contributing_agents=["LogAgent"]),
        ]
    )
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, FakeSources())) as server:
        await _investigate(server)
        posts = slack.of("chat.postMessage")
        top_level = [p for p in posts if not p.body.get("thread_ts")]
        assert len(top_level) == 1
        first = top_level[0].body
        assert first["channel"] == "C1" and first["text"]
        assert first["unfurl_links"] is False and first["unfurl_media"] is False
        assert "link_names" not in first
        updates = slack.of("chat.update")
        assert updates, "the message is edited as the run progresses"
        assert {u.body["ts"] for u in updates} == {"1700000001.000001"}
        final = updates[-1].body
        rendered = _texts(final)
        assert rendered.index("Pool size lowered") < rendered.index("Database overloaded")
        assert "Roll back the pool size change" in rendered
        assert "exec-1" in rendered
        assert final["text"].startswith("Alpha: deployment deploy-42: Pool size lowered in 9f3c2ab")
        # The signal list goes to the thread under the message.
        thread = [p for p in posts if p.body.get("thread_ts") == "1700000001.000001"]
        assert thread and "pool_size 50 -&gt; 5" in _texts(thread[0].body)


async def test_progress_message_has_one_section_per_agent() -> None:
    """While running, the message shows a header and a section for each agent."""
    gate = asyncio.Event()
    engine = ScriptedEngine(gate=gate)
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, FakeSources())) as server:
        await server.command("investigate deploy-42")
        await wait_for(lambda: any("step 0" in _texts(u.body) for u in slack.of("chat.update")))
        progress = [u.body for u in slack.of("chat.update") if "step 0" in _texts(u.body)][-1]
        blocks = progress["blocks"]
        assert blocks[0]["type"] == "header"
        sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert [s.split("*")[1] for s in sections] == AGENTS
        assert all("running" in s for s in sections)
        gate.set()
        await wait_for(lambda: server.bot.manager.active == 0)


async def test_help_and_bad_arguments_answer_with_ephemeral_usage() -> None:
    """`/alpha help`, no argument, an unknown verb or a bad id all return usage, start nothing."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        for text in [
            "help",
            "",
            "investigate",
            "explode now",
            "investigate a b",
            "investigate <!channel>",
        ]:
            status, body = await server.command(text)
            answer = json.loads(body)
            assert status == 200 and answer["response_type"] == "ephemeral"
            assert "/alpha investigate" in answer["text"]
            assert "<!channel>" not in answer["text"]
        await asyncio.sleep(0.1)
        assert sources.calls == [] and slack.of("chat.postMessage") == []


async def test_unknown_deployment_gets_a_clear_message() -> None:
    """An unknown deployment ends the message with the assembler's error, no engine run."""
    sources, engine = FakeSources(unknown={"nope-1"}), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        await _investigate(server, "investigate nope-1")
        final = slack.of("chat.update")[-1].body
        assert "deployment 'nope-1' not found in o/r" in _texts(final)
        assert engine.runs == 0


async def test_not_in_channel_is_answered_through_the_response_url() -> None:
    """If the bot cannot post in the channel, the requester is told how to invite it."""
    engine = ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, FakeSources())) as server:
        slack.fail("chat.postMessage", "not_in_channel")
        await server.command("investigate deploy-42", response_url=slack.response_url())
        await wait_for(lambda: len(slack.responses) == 1)
        assert "not_in_channel" in slack.responses[0].body["text"]
        assert engine.runs == 0


async def test_sentry_alert_starts_one_triage_in_the_alert_thread() -> None:
    """A Sentry alert in an alert channel is investigated once, answered in its thread."""
    sources, engine = FakeSources(), ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, sources, alert_channels="CALERT")
        async with BotServer(bot) as server:
            status, _ = await server.event(
                sentry_alert(4512345678, ts="1700000100.000100"), event_id="Ev1"
            )
            assert status == 200
            # Repeats of the same issue: threaded broadcasts and fresh alerts, new event ids.
            await server.event(
                sentry_alert(
                    4512345678,
                    ts="1700000200.000200",
                    subtype="thread_broadcast",
                    thread_ts="1700000100.000100",
                ),
                event_id="Ev2",
            )
            await server.event(sentry_alert(4512345678, ts="1700000300.000300"), event_id="Ev3")
            # Not alerts: another channel, another bot, a human.
            await server.event(sentry_alert(99, ts="1.1", channel="COTHER"), event_id="Ev4")
            other_bot = sentry_alert(98, ts="1.2")
            other_bot["bot_profile"]["name"] = "Datadog"
            await server.event(other_bot, event_id="Ev5")
            await server.event(
                {
                    "type": "message",
                    "channel": "CALERT",
                    "user": "U1",
                    "ts": "1.3",
                    "text": "see https://sentry.io/issues/97/",
                },
                event_id="Ev6",
            )
            await wait_finished(bot)
            await asyncio.sleep(0.1)
            assert sources.calls == [("sentry_issue", "4512345678")]
            posts = slack.of("chat.postMessage")
            assert posts and all(p.body["thread_ts"] == "1700000100.000100" for p in posts)


async def test_redelivered_event_starts_one_investigation() -> None:
    """The same event_id delivered again (X-Slack-Retry-Num) starts nothing new."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        # A zero-second issue window isolates the event_id deduplication.
        bot = make_bot(slack, engine, sources, alert_channels="CALERT", alert_dedup_window_s=0)
        async with BotServer(bot) as server:
            alert = sentry_alert(7, ts="1700000100.000100")
            for retry in (None, 1, 2, 3):
                status, _ = await server.event(alert, event_id="EvSame", retry_num=retry)
                assert status == 200
            await wait_for(lambda: bot.manager.active == 0 and bot.manager.started >= 1)
            await asyncio.sleep(0.1)
            assert bot.manager.started == 1
            # With a new event id and the zero window, the same issue does run again.
            await server.event(alert, event_id="EvOther")
            await wait_for(lambda: bot.manager.started == 2)


async def test_double_clicked_rerun_starts_one_run() -> None:
    """Two clicks on Rerun while the rerun is active start one investigation."""
    gate = asyncio.Event()
    sources, engine = FakeSources(), ScriptedEngine(gate=gate)
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        click = {
            "type": "block_actions",
            "user": {"id": "U1"},
            "team": {"id": "T0001"},
            "channel": {"id": "C1"},
            "container": {"type": "message", "message_ts": "1700000001.000001"},
            "message": {"ts": "1700000001.000001", "text": "old", "blocks": []},
            "response_url": slack.response_url("rerun"),
            "trigger_id": "t1",
            "actions": [
                {
                    "type": "button",
                    "action_id": "alpha_rerun",
                    "block_id": "alpha_run_actions",
                    "value": json.dumps({"kind": "deployment", "id": "deploy-42"}),
                    "action_ts": "1.1",
                }
            ],
        }
        assert (await server.action(click))[0] == 200
        click2 = dict(click, trigger_id="t2")
        assert (await server.action(click2))[0] == 200
        await wait_for(lambda: engine.runs == 1)
        await asyncio.sleep(0.1)
        assert server.bot.manager.started == 1
        gate.set()
        await wait_for(lambda: server.bot.manager.active == 0)
        assert sources.calls == [("deployment", "deploy-42")]


async def test_feedback_buttons_update_the_message_and_log_the_verdict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Correct/Wrong replaces that hypothesis' buttons with a note and logs the verdict."""
    caplog.set_level(logging.INFO, logger="bot.handlers")
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, ScriptedEngine(), FakeSources())) as server,
    ):
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*1. Pool*"}},
            {"type": "actions", "block_id": "alpha_feedback_1", "elements": []},
        ]
        value = json.dumps({"x": "exec-9", "r": 1, "v": "wrong"})
        payload = {
            "type": "block_actions",
            "user": {"id": "U7"},
            "team": {"id": "T0001"},
            "channel": {"id": "C1"},
            "message": {"ts": "1700000001.000001", "text": "final", "blocks": blocks},
            "trigger_id": "t",
            "actions": [
                {
                    "type": "button",
                    "action_id": "alpha_feedback_wrong_1",
                    "block_id": "alpha_feedback_1",
                    "value": value,
                    "action_ts": "1",
                }
            ],
        }
        assert (await server.action(payload))[0] == 200
        await wait_for(lambda: len(slack.of("chat.update")) == 1)
        updated = slack.of("chat.update")[0].body["blocks"]
        assert updated[0] == blocks[0]
        assert updated[1]["type"] == "context" and "wrong" in updated[1]["elements"][0]["text"]
        assert (
            "verdict=wrong rank=1 execution='exec-9' user=U7 hypothesis='*1. Pool*'" in caplog.text
        )


async def test_investigations_beyond_the_limit_show_queued() -> None:
    """With ALPHA_MAX_CONCURRENT=1 the second and third runs say "Queued" until a slot frees."""
    gate = asyncio.Event()
    sources, engine = FakeSources(), ScriptedEngine(gate=gate)
    async with FakeSlack() as slack:
        bot = make_bot(
            slack, engine, sources, max_concurrent=1, manager=InvestigationManager(max_concurrent=1)
        )
        async with BotServer(bot) as server:
            acks = [json.loads((await server.command("investigate d-0"))[1])["text"]]
            # The first run holds the only slot before the others arrive (a command that
            # arrives while the first is still posting its message is not yet "queued").
            await wait_for(lambda: bot.manager.running == 1)
            acks += [
                json.loads((await server.command(f"investigate d-{i}"))[1])["text"] for i in (1, 2)
            ]
            # A queued job posts its message before it starts waiting for the slot.
            await wait_for(lambda: bot.manager.queued == 2)
            assert "queued" in acks[2]
            firsts = [p.body["blocks"] for p in slack.of("chat.postMessage")]
            assert len(firsts) == 3 and sum("Queued" in json.dumps(b) for b in firsts) == 2
            assert bot.manager.running == 1 and engine.runs == 1
            gate.set()
            await wait_for(lambda: bot.manager.active == 0, timeout=10)
            assert engine.runs == 3


async def test_shutdown_cancels_running_investigations() -> None:
    """Stopping the app cancels and awaits investigations that are still running."""
    gate = asyncio.Event()  # never set: the investigation would run forever
    sources, engine = FakeSources(), ScriptedEngine(gate=gate)
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, sources)
        async with BotServer(bot) as server:
            await server.command("investigate deploy-42")
            await wait_for(lambda: engine.runs == 1)
            assert bot.manager.active == 1
        assert bot.manager.active == 0
        last = slack.of("chat.update")[-1].body
        assert "cancelled: the bot was stopped" in _texts(last)


async def _failed_run(error: Exception) -> tuple[str, str]:
    """The final message of a run whose engine raises `error`, and every body Slack got."""
    engine = ScriptedEngine(error=error)
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, FakeSources())) as server:
        await _investigate(server)
        return _texts(slack.of("chat.update")[-1].body), slack.bodies()


async def test_a_payload_error_is_shown_plainly_and_redacted() -> None:
    """An InputError from the engine is shown with its message, secrets redacted."""
    from alpha.core.errors import InputError

    final, bodies = await _failed_run(
        InputError("metrics.latency: input should be a number (token=hunter2-secret)")
    )
    assert "metrics.latency: input should be a number" in final
    assert "hunter2-secret" not in bodies


async def test_engine_crash_shows_a_plain_error_and_no_traceback() -> None:
    """An unexpected engine exception ends the message with a plain error, logged, no traceback."""
    final, bodies = await _failed_run(RuntimeError("secret internals xoxb-1234567890-leak"))
    assert "internal error" in final
    assert "Traceback" not in bodies and "leak" not in bodies


async def test_degradations_and_failed_agents_are_shown() -> None:
    """Gaps from the sources and a failed agent appear in the final message's Degraded part."""
    sources = FakeSources(gaps=["Sentry unreachable: HTTP 503 after 3 tries"])
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)], fail_agent="MetricsAgent")
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        await _investigate(server)
        final = _texts(slack.of("chat.update")[-1].body)
        assert "Sentry unreachable: HTTP 503 after 3 tries" in final
        assert "MetricsAgent failed: boom" in final


async def test_rate_limited_post_is_retried_after_retry_after() -> None:
    """A 429 on chat.postMessage is retried by the client (Retry-After honoured), not lost."""
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, FakeSources())) as server:
        slack.rate_limit("chat.postMessage", retry_after=0)
        await _investigate(server)
        top_level = [p for p in slack.of("chat.postMessage") if not p.body.get("thread_ts")]
        assert len(top_level) == 2  # the refused post, then its retry
        assert engine.runs == 1
        assert "Pool lowered" in _texts(slack.of("chat.update")[-1].body)


async def test_adversarial_model_text_reaches_slack_escaped() -> None:
    """Mentions and spoofed links in hypotheses and signals never reach Slack unescaped."""
    from alpha.schemas import Signal

    evil = "<!channel> <!here> <@U0ADMIN> <https://evil.example|https://sentry.io>"
    engine = ScriptedEngine(
        hypotheses=[ranked(evil, 1, suspects=[evil], description=evil)],
        signals=(Signal(id="sig_001", type="log", description=evil, source="logs"),),
    )
    sources = FakeSources(gaps=[evil])
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        await _investigate(server)
        bodies = slack.bodies()
        assert "&lt;!channel&gt;" in bodies
        for needle in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"):
            assert needle not in bodies
        for call in slack.of("chat.postMessage"):
            assert "link_names" not in call.body and "parse" not in call.body

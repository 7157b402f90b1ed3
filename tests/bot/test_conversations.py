"""`@Alpha` mentions, direct messages and `/alpha demo`, through the real Bolt app (HTTP
mode, signed requests) against the loopback fake Slack."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.app import create_bot
from bot.blocks import USAGE
from bot.conversations import message_words
from bot.handlers import parse_command
from bot.sentry_alerts import is_sentry_message
from bot.services import default_services
from sre.integrations.settings import IntegrationSettings
from tests.bot.harness import (
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    sentry_alert,
    settings,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack

BOT_USER = "UALPHA"


def mention(text: str, *, ts: str = "1700000100.000100", **extra: Any) -> dict[str, Any]:
    """An `app_mention` event as Slack sends it."""
    return {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": "C1",
        "event_ts": ts,
        **extra,
    }


def direct(text: str, *, ts: str = "1700000200.000200", **extra: Any) -> dict[str, Any]:
    """A `message` event in the bot's DM (`message.im`)."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": text,
        "ts": ts,
        **extra,
    }


def _texts(call_body: dict[str, Any]) -> str:
    return json.dumps(call_body.get("blocks", [])) + call_body.get("text", "")


def _engine() -> ScriptedEngine:
    return ScriptedEngine(hypotheses=[ranked("Pool size lowered", 1)])


async def test_a_mention_investigates_in_the_thread_of_the_mention() -> None:
    """`@Alpha investigate deploy-42`: one investigation, posted and edited in the mention's
    thread, on the deployment typed (Slack's automatic link unwrapped)."""
    sources = FakeSources()
    async with FakeSlack() as slack, BotServer(make_bot(slack, _engine(), sources)) as server:
        status, _ = await server.event(
            mention("investigate <http://deploy-42|deploy-42>"), event_id="EvM1"
        )
        assert status == 200
        await wait_finished(server.bot)
        assert sources.calls == [("deployment", "deploy-42")]
        first = slack.of("chat.postMessage")[0].body
        assert first["channel"] == "C1" and first["thread_ts"] == "1700000100.000100"
        final = slack.of("chat.update")[-1].body
        assert "What broke" in _texts(final)


async def test_a_mention_asking_for_help_is_answered_privately() -> None:
    """`@Alpha help` and `@Alpha frobnicate` answer with the usage, visible to the asker only."""
    sources = FakeSources()
    async with FakeSlack() as slack, BotServer(make_bot(slack, _engine(), sources)) as server:
        await server.event(mention("help"), event_id="EvM2")
        await server.event(mention("frobnicate", ts="1700000101.000101"), event_id="EvM3")
        await wait_for(lambda: len(slack.of("chat.postEphemeral")) == 2)
        help_answer, usage = (c.body for c in slack.of("chat.postEphemeral"))
        assert help_answer["user"] == "U1" and help_answer["text"] == USAGE
        # Slack reads `<...>` as a link: the placeholder arrives as entities, shown as typed.
        assert "<deployment_id>" not in USAGE and "&lt;deployment_id&gt;" in USAGE
        assert "unknown subcommand `frobnicate`" in usage["text"]
        assert not sources.calls and not slack.of("chat.postMessage")


async def test_a_direct_message_investigates_and_answers_in_the_dm() -> None:
    """A DM `investigate deploy-7` runs one investigation whose message is in the DM."""
    sources = FakeSources()
    async with FakeSlack() as slack, BotServer(make_bot(slack, _engine(), sources)) as server:
        status, _ = await server.event(direct("investigate deploy-7"), event_id="EvD1")
        assert status == 200
        await wait_finished(server.bot)
        assert sources.calls == [("deployment", "deploy-7")]
        post = slack.of("chat.postMessage")[0].body
        assert post["channel"] == "D1" and not post.get("thread_ts")


async def test_a_direct_message_asking_for_help_gets_the_usage_in_the_dm() -> None:
    """`help` in a DM answers with the usage there; the bot's own DM messages are ignored."""
    sources = FakeSources()
    async with FakeSlack() as slack, BotServer(make_bot(slack, _engine(), sources)) as server:
        await server.event(direct("help"), event_id="EvD2")
        await server.event(direct("investigate x", bot_id="BALPHA"), event_id="EvD3")
        await wait_for(lambda: len(slack.of("chat.postMessage")) == 1)
        answer = slack.of("chat.postMessage")[0].body
        assert answer["channel"] == "D1" and answer["text"] == USAGE
        assert not sources.calls


async def test_dms_follow_the_user_allow_list_not_the_channel_one() -> None:
    """With a channel allow-list, a DM from an allowed user works; other users are refused."""
    sources = FakeSources()
    async with FakeSlack() as slack:
        bot = make_bot(slack, _engine(), sources, allowed_channels=("C1",), allowed_users=("U1",))
        await _allow_list_flow(slack, BotServer(bot), sources)


async def _allow_list_flow(slack: FakeSlack, served: BotServer, sources: FakeSources) -> None:
    async with served as server:
        await server.event(direct("investigate deploy-1", user="U9"), event_id="EvD4")
        await wait_for(lambda: len(slack.of("chat.postMessage")) == 1)
        assert "not enabled for you" in slack.of("chat.postMessage")[0].body["text"]
        await server.event(direct("investigate deploy-2", ts="1700000300.3"), event_id="EvD5")
        await wait_finished(server.bot)
        assert sources.calls == [("deployment", "deploy-2")]


async def test_slash_demo_runs_the_bundled_incident_with_no_source() -> None:
    """`/alpha demo` with no source configured investigates the bundled incident for real
    (the SRE engine) and posts its verdict: an install check needing no Sentry or GitHub."""
    async with FakeSlack() as slack:
        bot_settings = settings(slack)
        services = default_services(bot_settings, IntegrationSettings(_env_file=None))  # type: ignore[call-arg]
        assert services.live_sources == []
        async with BotServer(create_bot(bot_settings, services)) as server:
            status, body = await server.command("demo")
            assert status == 200 and "Investigating demo `incident_b`" in body
            await wait_finished(server.bot, timeout=30)
        final = _texts(slack.of("chat.update")[-1].body)
        assert "*What broke*  database.pool_size lowered 50 -&gt; 10 (config change)" in final
        assert "Restore database.pool_size 10 -&gt; 50" in final
        assert "5ae6cd2 by m.okafor" in final


def test_words_typed_to_the_bot_parse_like_the_slash_command() -> None:
    """Mentions are dropped and automatic links unwrapped before parsing."""
    assert message_words("<@U1> investigate <http://v1.2.example|v1.2.example>").split() == [
        "investigate",
        "v1.2.example",
    ]
    assert parse_command(message_words("<@U1>   demo")).action == "demo"
    assert parse_command("demo now").action == "usage"


def test_the_sentry_app_is_recognised_by_its_ids_when_configured() -> None:
    """With ids configured, the app or bot id decides (a bot merely named "Sentry" is not the
    Sentry app); without, the display name is the fallback."""
    real = sentry_alert(1, ts="1.1")
    impostor = dict(
        real, bot_id="B0FAKE", bot_profile={"id": "B0FAKE", "app_id": "A0FAKE", "name": "Sentry"}
    )
    assert is_sentry_message(real, ("A0SENTRY",))
    assert is_sentry_message(real, ("B0SENTRY",))
    assert not is_sentry_message(impostor, ("A0SENTRY",))
    assert is_sentry_message(impostor)  # the documented fallback


def test_a_recognition_by_name_logs_the_ids_to_pin(caplog: pytest.LogCaptureFixture) -> None:
    """The first alert recognised by its display name logs the ids to put in the setting."""
    import bot.sentry_alerts as alerts

    alerts._pinning_hint_logged = False
    with caplog.at_level(logging.WARNING, logger="bot.sentry_alerts"):
        assert is_sentry_message(sentry_alert(1, ts="1.1"))
        assert is_sentry_message(sentry_alert(2, ts="1.2"))
    hints = [r.getMessage() for r in caplog.records if "ALPHA_SENTRY_APP_IDS" in r.getMessage()]
    assert hints == [
        "recognised a Sentry alert by its display name only; set "
        "ALPHA_SENTRY_APP_IDS=A0SENTRY, B0SENTRY so that no other app named 'Sentry' can start "
        "investigations (docs/slack.md)"
    ]


async def test_bolt_does_not_warn_that_the_token_will_be_unused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With SLACK_BOT_TOKEN in the environment (as in production), building the app logs no
    "`token` will be unused" warning."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    async with FakeSlack() as slack:
        with caplog.at_level(logging.DEBUG):
            make_bot(slack, _engine(), FakeSources())
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]

"""The security table's "Requests coming in" rows, against the bot's real HTTP app.

Two layers check a Slack request's signature and age in HTTP mode: our own check in the
aiohttp handler (with an injected clock) and Bolt's verifier behind it. Each is tested on
its own, so removing either one fails a test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp

from alpha.core.errors import ConfigurationError
from bot.app import Bot
from bot.settings import BotSettings
from tests.bot.harness import (
    SECRET,
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack

CANARY = "canary-body-7f3a9c"
# A fixed "now" for the bot's own clock, far from the wall clock Bolt's verifier reads.
NOW = 1_700_000_000
FORM = "application/x-www-form-urlencoded"


def _command_body() -> str:
    return urlencode(
        {"command": "/alpha", "text": f"investigate {CANARY}", "user_id": "U1", "channel_id": "C1"}
    )


async def test_bad_missing_and_stale_signatures_are_refused_and_reach_no_handler() -> None:
    """Tampered, unsigned, wrongly-keyed or stale requests get 401 and start nothing."""
    sources, engine = FakeSources(), ScriptedEngine()
    # The bot's clock stands still at the wall-clock second the test started, so "301 s
    # away" stays 301 s away however slowly the requests are sent.
    started = int(time.time())
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, engine, sources), clock=lambda: started) as server,
    ):
        body = _command_body()
        form = FORM
        now = str(started)
        good = server.post_signed
        cases = [
            await server.post_raw(body, {}, form),
            await server.post_raw(body, {"X-Slack-Request-Timestamp": now}, form),
            await server.post_raw(
                body,
                {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64},
                form,
            ),
            await good(body, form, timestamp=started - 301),
            await good(body, form, timestamp=started + 301),
        ]
        # A valid signature over a different body (tampered in transit).
        from slack_sdk.signature import SignatureVerifier

        sig = SignatureVerifier(SECRET).generate_signature(timestamp=now, body=body + "x")
        cases.append(
            await server.post_raw(
                body, {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": str(sig)}, form
            )
        )
        await asyncio.sleep(0.1)
        assert [status for status, _ in cases] == [401] * len(cases)
        assert sources.calls == []
        assert engine.runs == 0
        assert slack.calls == []


def _without_bolt_verification(bot: Bot) -> Bot:
    """The same bot, its listeners on an app whose own signature verifier is switched off."""
    app = AsyncApp(
        client=bot.client,
        request_verification_enabled=False,
        process_before_response=False,
    )
    bot.handlers.register(app)
    return dataclasses.replace(bot, app=app)


@pytest.mark.parametrize(
    ("skew", "status"), [(-301, 401), (301, 401), (-300, 200), (300, 200), (0, 200)]
)
async def test_our_own_check_alone_refuses_requests_more_than_300_s_away(
    skew: int, status: int
) -> None:
    """With Bolt's verifier off, our check alone refuses a correctly signed request stamped
    301 s before or after the bot's clock, and lets one at 300 s through."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        bot = _without_bolt_verification(make_bot(slack, engine, sources))
        async with BotServer(bot, clock=lambda: NOW) as server:
            got, _ = await server.post_signed(_command_body(), FORM, timestamp=NOW + skew)
            assert got == status
            if status == 200:
                await wait_for(lambda: engine.runs == 1)
            else:
                await asyncio.sleep(0.1)
                assert sources.calls == [] and engine.runs == 0


async def test_our_own_check_alone_refuses_a_bad_signature() -> None:
    """With Bolt's verifier off, a signature made with another secret is refused by our check."""
    from slack_sdk.signature import SignatureVerifier

    body = _command_body()
    signature = SignatureVerifier("another-secret").generate_signature(
        timestamp=str(NOW), body=body
    )
    headers = {"X-Slack-Request-Timestamp": str(NOW), "X-Slack-Signature": str(signature)}
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        bot = _without_bolt_verification(make_bot(slack, engine, sources))
        async with BotServer(bot, clock=lambda: NOW) as server:
            status, _ = await server.post_raw(body, headers, FORM)
            await asyncio.sleep(0.1)
    assert status == 401
    assert sources.calls == [] and engine.runs == 0


async def test_bolts_verifier_is_on_in_http_mode() -> None:
    """Behind our check, Bolt verifies again in HTTP mode: a request our (here lagging) clock
    accepts but that is 1,000 s old by the wall clock is refused and reaches no handler."""
    lagging = int(time.time()) - 1_000
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, sources)
        assert bot.settings.mode == "http"
        async with BotServer(bot, clock=lambda: lagging) as server:
            status, _ = await server.post_signed(_command_body(), FORM, timestamp=lagging)
            await asyncio.sleep(0.1)
    assert status == 401
    assert sources.calls == [] and engine.runs == 0


async def test_a_correctly_signed_command_is_accepted() -> None:
    """The control case: the same request, correctly signed, is handled (200)."""
    sources, engine = FakeSources(), ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        status, _ = await server.post_signed(_command_body(), "application/x-www-form-urlencoded")
        assert status == 200
        await wait_for(lambda: engine.runs == 1)


@pytest.mark.parametrize("timestamp", ["abc", "", "9" * 5000, "-1", "1.5", " 12", "\u0661\u0662"])
async def test_malformed_timestamps_are_refused_without_logging_the_body(
    timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed timestamp header gets a 4xx (not a 500) and no log line holds the body."""
    caplog.set_level(logging.DEBUG)
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        body = _command_body()
        status, _ = await server.post_raw(
            body,
            {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=abc"},
            "application/x-www-form-urlencoded",
        )
        assert 400 <= status < 500
        assert CANARY not in caplog.text
        assert sources.calls == [] and engine.runs == 0


def test_http_mode_refuses_to_start_without_signing_secret() -> None:
    """`check()` names SLACK_SIGNING_SECRET when HTTP mode has no signing secret."""
    settings = BotSettings(_env_file=None, slack_bot_token="xoxb-1", slack_mode="http")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="SLACK_SIGNING_SECRET"):
        settings.check()


def test_socket_mode_needs_no_signing_secret_but_an_app_token() -> None:
    """An app token selects Socket Mode, which starts without a signing secret."""
    settings = BotSettings(_env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1-A")  # type: ignore[call-arg]
    assert settings.mode == "socket"
    settings.check()
    forced = BotSettings(_env_file=None, slack_bot_token="xoxb-1", slack_mode="socket")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="SLACK_APP_TOKEN"):
        forced.check()


@pytest.mark.looptime
async def test_ack_arrives_within_3_seconds_whatever_the_investigation_takes() -> None:
    """With an investigation that takes 60 s, the command is acked within 3 s (virtual loop
    time: waiting counts, the machine's speed does not)."""
    sources, engine = FakeSources(), ScriptedEngine(delay=60.0)
    clock = asyncio.get_running_loop().time
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        started = clock()
        status, text = await server.command("investigate deploy-42")
        acked = clock() - started
        assert status == 200
        assert "deploy-42" in json.loads(text)["text"]
        assert acked < 3.0
        await wait_for(lambda: server.bot.manager.active == 0, timeout=120)
        assert engine.runs == 1 and clock() - started >= 60.0


async def test_allow_lists_refuse_politely_and_fetch_nothing() -> None:
    """A user or channel outside the allow-lists gets a refusal; no source is called."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, sources, allowed_users="U_OK", allowed_channels="C_OK")
        async with BotServer(bot) as server:
            refused = [
                await server.command("investigate deploy-1", user="U_BAD", channel="C_OK"),
                await server.command("investigate deploy-1", user="U_OK", channel="C_BAD"),
            ]
            await asyncio.sleep(0.2)
            for status, text in refused:
                assert status == 200
                assert "not enabled" in json.loads(text)["text"]
            assert sources.calls == [] and engine.runs == 0
            assert slack.of("chat.postMessage") == []
            status, _ = await server.command("investigate deploy-1", user="U_OK", channel="C_OK")
            await wait_for(lambda: sources.calls == [("deployment", "deploy-1")])


async def test_url_verification_challenge_is_answered_only_when_signed() -> None:
    """Slack's URL check gets its challenge back when signed, and a 401 when not."""
    body = json.dumps({"type": "url_verification", "challenge": "chal-123", "token": "x"})
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, ScriptedEngine(), FakeSources())) as server,
    ):
        status, text = await server.post_signed(body, "application/json")
        assert status == 200 and "chal-123" in text
        status, _ = await server.post_raw(body, {}, "application/json")
        assert status == 401


def test_a_signature_that_is_not_utf8_is_refused_not_raised() -> None:
    """aiohttp hands undecodable header bytes over as lone surrogates; such a signature is
    invalid (False), never a UnicodeEncodeError that would answer 500."""
    from bot.app import signature_ok

    assert signature_ok("secret", str(NOW), "v0=\udcff\udcfe", b"token=x", float(NOW)) is False

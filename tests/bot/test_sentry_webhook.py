"""The optional Sentry webhook: signature check, Request-ID dedup, issue triage."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import aiohttp

from tests.bot.harness import (
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    wait_finished,
)
from tests.fakes.slack_server import FakeSlack

CLIENT_SECRET = "sentry-client-secret-abc"


def _alert(issue_id: Any = 4512345678) -> bytes:
    payload = {
        "action": "triggered",
        "data": {
            "event": {
                "issue_id": issue_id,
                "title": "<!channel> KeyError",
                "web_url": "https://sentry.io/x",
            },
            "triggered_rule": "r",
        },
    }
    return json.dumps(payload).encode()


async def _post(
    server: BotServer, body: bytes, *, request_id: str, signature: str | None = None
) -> tuple[int, dict[str, Any]]:
    url = server.url.replace("/slack/events", "/sentry/webhook")
    sig = signature
    if sig is None:
        sig = hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": "event_alert",
        "Sentry-Hook-Timestamp": "1700000000",
        "Sentry-Hook-Signature": sig,
        "Request-ID": request_id,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, await r.json()


def _bot(slack: FakeSlack, engine: ScriptedEngine, sources: FakeSources) -> Any:
    return make_bot(
        slack,
        engine,
        sources,
        sentry_client_secret=CLIENT_SECRET,
        sentry_webhook_channel="CTRIAGE",
    )


async def test_bad_or_missing_signature_is_refused_with_401() -> None:
    """A webhook not signed with the client secret gets 401 and starts nothing."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(_bot(slack, engine, sources)) as server:
        body = _alert()
        forged = hmac.new(b"other", body, hashlib.sha256).hexdigest()
        for signature in ("", forged, "zz"):
            status, _ = await _post(server, body, request_id="r1", signature=signature)
            assert status == 401
        await asyncio.sleep(0.1)
        assert sources.calls == [] and slack.calls == []


async def test_signed_alert_triages_once_and_duplicates_are_ignored() -> None:
    """A signed event_alert starts one triage in the configured channel; its retry does not."""
    sources, engine = FakeSources(), ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack, BotServer(_bot(slack, engine, sources)) as server:
        status, answer = await _post(server, _alert(), request_id="req-1")
        assert status == 200 and answer["started"] is True
        status, answer = await _post(server, _alert(), request_id="req-1")
        assert status == 200 and answer.get("duplicate") is True
        await wait_finished(server.bot)
        assert sources.calls == [("sentry_issue", "4512345678")]
        posts = slack.of("chat.postMessage")
        assert posts and all(p.body["channel"] == "CTRIAGE" for p in posts)


async def test_malformed_alert_names_the_missing_field() -> None:
    """A signed alert without a usable issue id gets a 400 naming data.event.issue_id."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(_bot(slack, engine, sources)) as server:
        status, answer = await _post(server, _alert(issue_id=None), request_id="req-2")
        assert status == 400 and "data.event.issue_id" in answer["error"]
        assert sources.calls == []


async def test_webhook_is_absent_unless_configured() -> None:
    """Without SENTRY_CLIENT_SECRET and a channel, /sentry/webhook does not exist (404)."""
    async with (
        FakeSlack() as slack,
        BotServer(make_bot(slack, ScriptedEngine(), FakeSources())) as server,
    ):
        status = await _post_raw_status(server)
        assert status == 404


async def _post_raw_status(server: BotServer) -> int:
    url = server.url.replace("/slack/events", "/sentry/webhook")
    async with aiohttp.ClientSession() as session, session.post(url, data=b"{}") as r:
        return r.status

"""Two real bot processes on one history database: a redelivered alert event runs once."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.bot.harness import SECRET, sentry_alert, wait_for
from tests.bot.processes import BotProcess, http_env
from tests.fakes.github_server import FakeGitHub, checkout_repo
from tests.fakes.sentry_server import FakeSentry, checkout_sentry
from tests.fakes.slack_server import FakeSlack

ISSUE = 4512345678
ALERT_TS = "1700000500.000500"


def _signed(body: str, retry: int | None) -> dict[str, str]:
    # A redelivery is a new request: Slack signs it again, at its own time.
    ts = str(int(time.time()) - (retry or 0))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(
            SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        ),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


async def test_two_bot_processes_sharing_a_store_run_a_redelivered_event_once(
    tmp_path: Path,
) -> None:
    """The same alert event reaches two processes at once (a delivery and its retry): one
    investigation, posted once, while the other process acks and ignores it."""
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        shared = {
            # The dedup keys live in the history database: one file both processes share.
            "ALPHA_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
            "ALPHA_ALERT_CHANNELS": "CALERT",
            "SENTRY_URL": sentry.url,
            "SENTRY_AUTH_TOKEN": sentry.token,
            "SENTRY_ORG": sentry.data.org,
            "SENTRY_PROJECT": sentry.data.project_slug,
            "GITHUB_API_URL": github.url,
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPOSITORY": f"{github.data.owner}/{github.data.name}",
            "ALPHA_HTTP_RETRIES": "0",
            "ALPHA_SLACK_UPDATE_INTERVAL": "0.05",
        }
        homes = [tmp_path / "a", tmp_path / "b"]
        for home in homes:
            home.mkdir()
        async with (
            BotProcess(http_env(slack, homes[0], **shared), homes[0]) as first,
            BotProcess(http_env(slack, homes[1], **shared), homes[1]) as second,
        ):
            for bot in (first, second):
                await bot.wait_for_log("listening on")
            assert "live sources: GitHub, Sentry" in first.stderr
            event = sentry_alert(ISSUE, ts=ALERT_TS, text="[checkout-api] KeyError: 'sku'")
            body = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T0001",
                    "api_app_id": "AALPHA",
                    "event_id": "EvShared1",
                    "event_time": int(time.time()),
                    "event": event,
                }
            )

            async def deliver(bot: BotProcess, retry: int | None) -> int:
                url = f"http://127.0.0.1:{bot.port}/slack/events"
                async with (
                    aiohttp.ClientSession() as session,
                    session.post(url, data=body.encode(), headers=_signed(body, retry)) as reply,
                ):
                    return reply.status

            statuses = await asyncio.gather(deliver(first, None), deliver(second, 1))
            assert statuses == [200, 200]

            def finished() -> bool:
                return any("alpha_rerun" in json.dumps(c.body) for c in slack.of("chat.update"))

            await wait_for(finished, timeout=60)
            for bot in (first, second):
                bot.send(signal.SIGTERM)
                assert await bot.exit_code(15) == 0
        # Exactly one process claimed the event; the other said why it did nothing.
        ignored = [b for b in (first, second) if "ignored a repeated delivery (event)" in b.stderr]
        assert len(ignored) == 1
        # One investigation: one message in the alert's thread, the only one ever edited.
        assert len({c.body["ts"] for c in slack.of("chat.update")}) == 1
        posts = slack.of("chat.postMessage")
        assert posts and all(p.body["thread_ts"] == ALERT_TS for p in posts)
        issue_lookups = [path for path, _ in sentry.requests if path.endswith(f"/issues/{ISSUE}/")]
        assert len(issue_lookups) == 1

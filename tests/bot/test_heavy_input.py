"""A Sentry event with an 8 MB exception value, through the production-wired bot."""

from __future__ import annotations

import json

from bot.app import create_bot
from bot.services import default_services
from bot.worker import Worker
from sre.integrations.sentry import MAX_TEXT_CHARS
from tests.bot.harness import BotServer, settings, wait_finished
from tests.fakes.github_server import FakeGitHub, checkout_repo, integration_settings
from tests.fakes.sentry_server import FakeSentry, checkout_sentry
from tests.fakes.slack_server import FakeSlack

MARKER = "Zq"  # not a word any rule or renderer produces on its own


async def test_an_8_mb_sentry_value_is_capped_and_acks_keep_coming() -> None:
    """The investigation reads a capped value on the worker; `/alpha help` is acked meanwhile
    and the final message lands without carrying megabytes of it."""
    data = checkout_sentry()
    for issue in data.issues:
        values = issue.event["entries"][0]["data"]["values"]
        values[0]["value"] = MARKER * 4_000_000  # 8 MB
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(data) as sentry,
    ):
        bot_settings = settings(slack)
        with Worker() as worker:
            services = default_services(
                bot_settings, integration_settings(github, sentry), worker=worker
            )
            bot = create_bot(bot_settings, services)
            await bot.verify_token()
            async with BotServer(bot) as server:
                assert (await server.command("investigate 102"))[0] == 200
                status, text = await server.command("help")
                assert status == 200 and "/alpha investigate" in json.loads(text)["text"]
                await wait_finished(bot, timeout=60)
        final = json.dumps(slack.of("chat.update")[-1].body)
        assert "alpha_rerun" in final
        bodies = slack.bodies()
        assert MARKER * 10 in bodies, "the exception value was read (its head shows)"
        assert MARKER * (MAX_TEXT_CHARS // len(MARKER) + 1) not in bodies

"""The bot wired as in production (real assembler, real SRE engine) against fake Sentry,
GitHub and Slack servers on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import Bot, create_bot
from bot.services import default_services
from sre.taxonomy import suspects_match
from tests.bot.harness import (
    BotServer,
    hypothesis_sections,
    sentry_alert,
    settings,
    suspects_of,
    wait_finished,
)
from tests.fakes.github_server import SHA_CULPRIT, FakeGitHub, checkout_repo, integration_settings
from tests.fakes.sentry_server import FakeSentry, Fault, checkout_sentry
from tests.fakes.slack_server import FakeSlack


@dataclass
class Live:
    """The running fakes and the bot's HTTP server."""

    slack: FakeSlack
    github: FakeGitHub
    sentry: FakeSentry
    server: BotServer

    @property
    def bot(self) -> Bot:
        return self.server.bot

    async def finished(self, runs: int = 1) -> None:
        await wait_finished(self.bot, runs, timeout=20)

    def final_blocks(self) -> list[dict[str, Any]]:
        return self.slack.of("chat.update")[-1].body["blocks"]


async def _live(**overrides: Any) -> AsyncIterator[Live]:
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        bot_settings = settings(slack, **overrides)
        services = default_services(bot_settings, integration_settings(github, sentry))
        async with BotServer(create_bot(bot_settings, services)) as server:
            yield Live(slack, github, sentry, server)


@pytest.fixture
async def live() -> AsyncIterator[Live]:
    async for value in _live(alert_channels="CALERT"):
        yield value


def _first_hypothesis(blocks: list[dict[str, Any]]) -> str:
    sections = hypothesis_sections(blocks)
    assert sections, "no ranked hypothesis in the final message"
    return sections[0]


async def test_investigate_a_deployment_end_to_end_puts_the_culprit_first(live: Live) -> None:
    """`/alpha investigate 102` fetches Sentry and GitHub, and ranks the culprit commit first."""
    status, _ = await live.server.command("investigate 102")
    assert status == 200
    await live.finished()
    assert live.github.requests and live.sentry.requests
    first = _first_hypothesis(live.final_blocks())
    assert "`code_regression`" in first.split("\n")[0]
    assert any(suspects_match(s, SHA_CULPRIT) for s in suspects_of(first))
    top_level = [p for p in live.slack.of("chat.postMessage") if not p.body.get("thread_ts")]
    thread = [p for p in live.slack.of("chat.postMessage") if p.body.get("thread_ts")]
    assert len(top_level) == 1 and thread
    assert all(p.body["unfurl_links"] is False for p in live.slack.of("chat.postMessage"))


async def test_sentry_alert_is_triaged_through_the_sentry_issue(live: Live) -> None:
    """An alert from the Sentry app for issue 4512345678 is investigated in its thread."""
    alert = sentry_alert(4512345678, ts="1700000500.000500", text="[checkout-api] KeyError: 'sku'")
    status, _ = await live.server.event(alert, event_id="EvAlert1")
    assert status == 200
    await live.finished()
    assert any("4512345678" in path for path, _ in live.sentry.requests)
    posts = live.slack.of("chat.postMessage")
    assert posts and all(p.body["thread_ts"] == "1700000500.000500" for p in posts)
    first = _first_hypothesis(live.final_blocks())
    assert any(suspects_match(s, SHA_CULPRIT) for s in suspects_of(first))


async def test_refused_users_cause_no_request_to_sentry_or_github() -> None:
    """With an allow-list, a refused command fetches nothing from Sentry or GitHub."""
    async for live in _live(allowed_users="U_OK"):
        status, text = await live.server.command("investigate 102", user="U_INTRUDER")
        assert status == 200 and "not enabled" in json.loads(text)["text"]
        await asyncio.sleep(0.2)  # anything the refusal wrongly started would have run
        assert live.bot.manager.started == 0
        assert live.github.requests == [] and live.sentry.requests == []
        assert live.slack.of("chat.postMessage") == []


async def test_unknown_deployment_is_named_in_the_message(live: Live) -> None:
    """An unknown deployment id ends with the assembler's clear message."""
    await live.server.command("investigate 999")
    await live.finished()
    text = json.dumps(live.final_blocks())
    assert "deployment '999' not found in acme/checkout-api" in text


async def test_sentry_outage_is_reported_as_degraded(live: Live) -> None:
    """With Sentry answering 503, the run uses GitHub alone and says Sentry failed."""
    live.sentry.faults.add(Fault(pattern=".", status=503, times=None))
    await live.server.command("investigate 102")
    await live.finished()
    text = json.dumps(live.final_blocks())
    assert "*Missing*" in text and "Sentry" in text.split("*Missing*")[1]

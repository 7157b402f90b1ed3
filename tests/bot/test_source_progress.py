"""Progress while the live sources are fetched: each source's latest word in the Slack
message, through the real Bolt app, the real assembler and engine, and the fake Slack,
Sentry and GitHub servers on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from bot.app import create_bot
from bot.services import default_services, on_worker
from bot.worker import Worker
from tests.bot.harness import (
    AGENTS,
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    settings,
    wait_finished,
)
from tests.canaries import canary_corpus, leaks
from tests.fakes.github_server import FakeGitHub, checkout_repo, integration_settings
from tests.fakes.sentry_server import FakeSentry, Fault, checkout_sentry
from tests.fakes.slack_server import FakeSlack

GATHERING = ":mag: Gathering data"


def _updates(slack: FakeSlack) -> list[dict[str, Any]]:
    """The bodies of every `chat.update`, in order."""
    return [call.body for call in slack.of("chat.update")]


def _before_agents(updates: list[dict[str, Any]]) -> list[str]:
    """The Block Kit JSON of the updates sent while gathering: all of them before the first
    update with the agents' panels or the final message."""
    texts = [json.dumps(body["blocks"], ensure_ascii=False) for body in updates]
    gathering = [i for i, text in enumerate(texts) if GATHERING in text]
    assert gathering == list(range(len(gathering))), "an edit went back to gathering"
    return [texts[i] for i in gathering]


def _words(gathering: list[str], source: str) -> list[str]:
    """What `source` was shown doing in those updates, repeats of one word dropped."""
    marker = f":hourglass_flowing_sand: *{source}* fetching · "
    words: list[str] = []
    for text in gathering:
        for block in json.loads(text):
            for line in block.get("text", {}).get("text", "").split("\n"):
                word = line.removeprefix(marker)
                if word != line and (not words or words[-1] != word):
                    words.append(word)
    return words


SENTRY_STEPS = [
    "looking up release v1.4.1",
    "listing issues",
    "2 issues; latest events 0/2",
    "2 issues; latest events 1/2",
    "2 issues; latest events 2/2",
]


@asynccontextmanager
async def _served(
    github: FakeGitHub | None,
    sentry: FakeSentry | None,
    slack: FakeSlack,
    *,
    worker: Worker | None = None,
    **overrides: Any,
) -> AsyncIterator[BotServer]:
    """The bot wired as in production (real assembler and engine) against the fakes."""
    bot_settings = settings(slack, **overrides)
    services = default_services(bot_settings, integration_settings(github, sentry))
    if worker is not None:
        services = on_worker(services, worker)
    async with BotServer(create_bot(bot_settings, services)) as server:
        yield server


async def test_a_deployment_run_shows_each_source_before_the_agents_panels() -> None:
    """With the sources on the worker thread (as in production), edits sent while the payload
    is gathered name both sources with what they fetch, each source's word as it goes."""
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        # Slow enough that the 50 ms publisher sends several edits while fetching.
        github.faults.add(Fault(r"/compare/", status=200, delay_s=0.4))
        sentry.faults.add(Fault(r"/events/latest/", status=200, delay_s=0.2, times=None))
        with Worker() as worker:
            async with _served(github, sentry, slack, worker=worker) as server:
                await server.command("investigate 102")
                await wait_finished(server.bot, timeout=20)
        updates = _updates(slack)
    gathering = _before_agents(updates)
    assert gathering, "no edit was sent before the agents ran"
    assert all(":mag: Gathering data from GitHub and Sentry" in text for text in gathering)
    assert any("*GitHub* fetching · comparing " in text for text in gathering)
    assert any("*Sentry* fetching · " in text for text in gathering)
    # Several of Sentry's steps were shown, in the order Sentry took them.
    sentry = _words(gathering, "Sentry")
    assert len(sentry) >= 2 and sentry == [s for s in SENTRY_STEPS[1:] if s in sentry]


async def test_a_failed_source_shows_its_gap_while_the_others_still_fetch() -> None:
    """Sentry answering 503: its line says failed with the gap sentence while GitHub is still
    fetching, and the same sentence is under the verdict in the final message."""
    gap = "Sentry unreachable: HTTP 503 after 1 try"
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        sentry.faults.add(Fault(".", status=503, times=None))
        github.faults.add(Fault(r"/compare/", status=200, delay_s=0.5))
        async with _served(github, sentry, slack) as server:
            await server.command("investigate 102")
            await wait_finished(server.bot, timeout=20)
        updates = _updates(slack)
    failed = f":x: *Sentry* failed · {gap}"
    assert any(failed in text and "*GitHub* fetching" in text for text in _before_agents(updates))
    final = json.dumps(updates[-1]["blocks"])
    verdict, missing = final.index("*What broke*"), final.index(":warning: *Missing*")
    assert verdict < missing < final.index(gap)


@pytest.mark.looptime
async def test_a_slow_source_is_shown_as_it_goes_at_the_publishers_pace() -> None:
    """Sentry alone, each answer seconds late (virtual loop time): its words reach Slack as
    separate edits, one second apart at least, never more than one edit per interval."""
    loop = asyncio.get_running_loop()
    async with FakeSlack(clock=loop.time) as slack, FakeSentry(checkout_sentry()) as sentry:
        sentry.faults.add(Fault(r"/deploys/$", status=200, delay_s=2.0))
        sentry.faults.add(Fault(r"/issues/$", status=200, delay_s=2.0))
        sentry.faults.add(Fault(r"/events/latest/", status=200, delay_s=3.0))
        sentry.faults.add(Fault(r"/events/latest/", status=200, delay_s=6.0))
        bot_settings = settings(slack, update_interval_s=1.0)
        services = default_services(bot_settings, integration_settings(None, sentry))
        services = replace(services, clock=loop.time)
        async with BotServer(create_bot(bot_settings, services)) as server:
            await server.command("investigate v1.4.1")
            await wait_finished(server.bot, timeout=60)
        calls = slack.of("chat.update")
    # Each step lasts at least two seconds: every one is its own edit, in Sentry's order.
    words = _words(_before_agents([call.body for call in calls]), "Sentry")
    assert words[:4] == SENTRY_STEPS[:4] and words == [s for s in SENTRY_STEPS if s in words]
    times = [call.at for call in calls]
    spacing = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(spacing) >= 1.0 - 1e-6
    assert len(times) <= (times[-1] - times[0]) / 1.0 + 1


async def test_a_secret_in_a_progress_word_never_reaches_slack() -> None:
    """A token typed as the deployment id is in the sources' words ("resolving ..."); the
    edits show the word with the token hidden, and no fragment of it reaches Slack."""
    canary = next(c for c in canary_corpus(seed=7) if c.name == "github/ghp")
    async with (
        FakeSlack() as slack,
        FakeGitHub(checkout_repo()) as github,
        FakeSentry(checkout_sentry()) as sentry,
    ):
        github.faults.add(Fault(".", status=200, delay_s=0.3))
        sentry.faults.add(Fault(".", status=200, delay_s=0.3))
        async with _served(github, sentry, slack) as server:
            status, answer = await server.command(f"investigate {canary.secret}")
            await wait_finished(server.bot, timeout=20)
        assert status == 200
        shown = json.dumps(_updates(slack), ensure_ascii=False)
        everything = slack.bodies() + answer
    assert "*GitHub* fetching · resolving [REDACTED:github_pat" in shown
    assert "*Sentry* fetching · looking up release [REDACTED:github_pat" in shown
    assert leaks(canary, everything) == []


async def test_the_demo_has_no_source_lines() -> None:
    """`/alpha demo` fetches nothing: its messages name no source and have no source line."""
    async with FakeSlack() as slack:
        sources = FakeSources()
        async with BotServer(make_bot(slack, ScriptedEngine(), sources)) as server:
            await server.command("demo")
            await wait_finished(server.bot)
        bodies = [c.body for c in [*slack.of("chat.postMessage"), *slack.of("chat.update")]]
    texts = [json.dumps(body.get("blocks", []), ensure_ascii=False) for body in bodies]
    assert any(':mag: Gathering data"' in text for text in texts)
    assert sources.calls == []
    for text in texts:
        assert " from GitHub" not in text and "*GitHub*" not in text and "*Sentry*" not in text
    assert f"*{AGENTS[0]}*" in texts[-1] or "*What broke*" in texts[-1]

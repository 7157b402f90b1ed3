"""The production-wired bot with canaries planted upstream: nothing reaches Slack or the LLM.

Canaries from the generated corpus are planted in GitHub (commit messages, patches, the
deployed YAML config in nested dicts and lists, `.env` keys), in Sentry events, and in the
deployment id of a command. The bytes the fake Slack and the fake LLM received, the HTTP
answers to the commands and the app's logs (through the redaction filter the bot installs)
hold no 12-character fragment of any canary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from alpha.llm.settings import LLMSettings
from bot.app import create_bot
from bot.services import default_services
from sre.llm.mode import LLMMode
from sre.llm.settings import ReasoningSettings
from sre.redaction import RedactingFilter
from tests.bot.harness import BotServer, settings, wait_finished
from tests.canaries import canary_corpus, leaks
from tests.fakes.github_server import SHA_CULPRIT, SHA_DEPLOY, FakeGitHub, checkout_repo
from tests.fakes.github_server import integration_settings as live_settings
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.fakes.sentry_server import FakeSentry, checkout_sentry
from tests.fakes.slack_server import FakeSlack

CORPUS = canary_corpus(seed=7)


async def _no_wait(seconds: float) -> None:
    """The LLM client's wait between attempts, skipped."""


def _planted_repo() -> Any:
    repo = checkout_repo()
    culprit = next(c for c in repo.history if c.sha == SHA_CULPRIT)
    for index, canary in enumerate(CORPUS):
        if canary.kind == "config_key":
            continue
        if index % 3 == 0:
            culprit.message += f"\n{canary.text}"
        elif index % 3 == 1:
            culprit.files[0]["patch"] += "".join(f"\n+{line}" for line in canary.lines())
    yaml = repo.contents[("config/production.yaml", SHA_DEPLOY)]
    items = "".join(
        f"\n    - name: {json.dumps(c.name)}\n      value: {json.dumps(c.text)}"
        for index, c in enumerate(CORPUS)
        if index % 3 == 2 and c.kind != "config_key"
    )
    nested = "".join(
        f"\n  {c.variant.split('.')[0]}:\n    {c.variant.split('.')[1]}: {json.dumps(c.secret)}"
        for c in CORPUS
        if c.kind == "config_key"
    )
    repo.contents[("config/production.yaml", SHA_DEPLOY)] = (
        f"{yaml}\nvault:\n  items:{items}\nnested:{nested}\n"
    )
    env = repo.contents[(".env.production", SHA_DEPLOY)]
    repo.contents[(".env.production", SHA_DEPLOY)] = env + "\nDB_PASS=" + CORPUS[0].secret + "\n"
    return repo


def _planted_sentry() -> Any:
    data = checkout_sentry()
    for issue, canary in zip(data.issues, CORPUS[1::7], strict=False):
        values = issue.event["entries"][0]["data"]["values"]
        values[0]["value"] = f"{values[0].get('value', '')} {canary.text}"
    return data


@asynccontextmanager
async def _bot() -> AsyncIterator[tuple[FakeSlack, FakeLLMServer, BotServer]]:
    async with (
        FakeSlack() as slack,
        FakeGitHub(_planted_repo()) as github,
        FakeSentry(_planted_sentry()) as sentry,
        FakeLLMServer(default=Reply.json({"hypotheses": []})) as llm,
    ):
        llm_settings = LLMSettings(_env_file=None, base_url=llm.base_url, timeout=30.0, retries=0)  # type: ignore[call-arg]
        reasoning = ReasoningSettings(_env_file=None)  # type: ignore[call-arg]
        mode = LLMMode.from_settings(llm_settings, reasoning, sleep=_no_wait)
        bot_settings = settings(slack)
        services = default_services(bot_settings, live_settings(github, sentry), llm=mode)
        async with BotServer(create_bot(bot_settings, services)) as server:
            yield slack, llm, server


def _leaked(text: str) -> dict[str, list[str]]:
    return {c.name: found for c in CORPUS if (found := leaks(c, text))}


# Virtual loop time (looptime): the LLM client's 2 s timeout counts waiting, not the time
# the other agents' prompts take to build on a loaded machine.
@pytest.mark.looptime
async def test_no_canary_reaches_slack_the_llm_or_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Investigating the planted deployment, and a command whose id is a canary, leaves no
    fragment anywhere that leaves the process."""
    caplog.handler.addFilter(RedactingFilter())  # what bot.observability installs
    caplog.set_level(logging.INFO)
    forged_id = f"{CORPUS[9].secret}\n#1 forged"
    async with _bot() as (slack, llm, server):
        status, answer = await server.command("investigate 102")
        assert status == 200
        await wait_finished(server.bot, timeout=30)
        status, forged_answer = await server.command(f"investigate {forged_id}")
        await wait_finished(server.bot, timeout=30)
        slack_bytes = slack.bodies()
        llm_bytes = b"".join(r.raw for r in llm.requests).decode()
    assert llm.request_count >= 4
    assert _leaked(slack_bytes) == {}
    assert _leaked(llm_bytes) == {}
    assert _leaked(json.dumps([answer, forged_answer])) == {}
    assert _leaked(caplog.text) == {}
    # The canaries were in the evidence: what hides them reached both sides.
    hidden_in_slack = slack_bytes.count("[REDACTED:") + slack_bytes.count("(value hidden)")
    assert hidden_in_slack >= 10 and llm_bytes.count("[REDACTED:") >= 20
    assert "secrets redacted" in slack_bytes

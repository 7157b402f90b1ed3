"""The production-wired bot with the LLM mode on, against fake Slack, GitHub, Sentry and LLM
servers: tokens reach the footer, failures fall back visibly, secrets never reach the LLM."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from alpha.llm.settings import LLMSettings
from bot.app import create_bot
from bot.services import default_services
from sre.agents.roster import AGENT_NAMES
from sre.llm.mode import LLMMode
from sre.llm.settings import ReasoningSettings
from sre.taxonomy import suspects_match
from tests.bot.harness import BotServer, settings, wait_finished
from tests.fakes.github_server import SHA_CULPRIT, FakeGitHub, checkout_repo, integration_settings
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply
from tests.fakes.sentry_server import FakeSentry, checkout_sentry
from tests.fakes.slack_server import FakeSlack


async def _no_wait(seconds: float) -> None:
    """The LLM client's wait between attempts, skipped."""


def _mode(server: FakeLLMServer) -> LLMMode:
    # The fake answers at once; the timeout only bounds a hang, so a loaded machine (a
    # request taking seconds of wall time) must not reach it.
    llm = LLMSettings(_env_file=None, base_url=server.base_url, timeout=30.0, retries=0)  # type: ignore[call-arg]
    return LLMMode.from_settings(llm, ReasoningSettings(_env_file=None), sleep=_no_wait)  # type: ignore[call-arg]


def agreeing_model(request: RecordedRequest) -> Reply:
    """A model that restates the culprit commit, citing the first signal it was shown."""
    shown = re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)
    hypothesis = {
        "label": f"Commit {SHA_CULPRIT[:7]} broke checkout",
        "description": "New errors in files the commit changed.",
        "category": "code_regression",
        "suspects": [SHA_CULPRIT],
        "confidence": 0.9,
        "severity": "high",
        "supporting_signals": shown[:1],
    }
    return Reply.json(
        {"hypotheses": [hypothesis]},
        usage={"prompt_tokens": 2_000, "completion_tokens": 100, "cost": 0.004},
    )


# Canary secrets planted upstream: in a commit message, a patch and a Sentry event.
CANARY_SLACK = "xoxb-1111111111-2222222222-CANARYslackTOKEN"
CANARY_GITHUB = "ghp_CANARY0123456789abcdefghijABCDEFGHIJ"
CANARY_AWS = "AKIAIOSFODNN7CANARY1"


def _planted_repo() -> Any:
    repo = checkout_repo()
    for commit in repo.history:
        if commit.sha == SHA_CULPRIT:
            commit.message += f"\n\nslack_token: {CANARY_SLACK}"
            for file in commit.files:
                if file.get("patch"):
                    file["patch"] += f"\n+GITHUB_TOKEN = '{CANARY_GITHUB}'"
    return repo


def _planted_sentry() -> Any:
    data = checkout_sentry()
    for issue in data.issues:
        values = issue.event["entries"][0]["data"]["values"]
        values[0]["value"] = f"{values[0].get('value', '')} (aws key {CANARY_AWS})"
    return data


@asynccontextmanager
async def _bot(**llm_server: Any) -> AsyncIterator[tuple[FakeSlack, FakeLLMServer, BotServer]]:
    async with (
        FakeSlack() as slack,
        FakeGitHub(_planted_repo()) as github,
        FakeSentry(_planted_sentry()) as sentry,
        FakeLLMServer(**llm_server) as llm,
    ):
        bot_settings = settings(slack)
        services = default_services(
            bot_settings, integration_settings(github, sentry), llm=_mode(llm)
        )
        async with BotServer(create_bot(bot_settings, services)) as server:
            yield slack, llm, server


async def _final_message(slack: FakeSlack, server: BotServer) -> str:
    status, _ = await server.command("investigate 102")
    assert status == 200
    await wait_finished(server.bot, timeout=20)
    return json.dumps(slack.of("chat.update")[-1].body["blocks"])


async def test_llm_tokens_and_cost_reach_the_footer() -> None:
    """With a working model, the final message reports the tokens and cost it spent."""
    async with _bot(default=agreeing_model) as (slack, llm, server):
        final = await _final_message(slack, server)
    assert llm.request_count == len(AGENT_NAMES)
    calls = len(AGENT_NAMES)
    assert f"{2_100 * calls:,} tokens in {calls} LLM call(s)" in final
    assert "fell back" not in final


async def test_failing_llm_falls_back_and_says_so() -> None:
    """A model out of credit: every agent uses its rules, the message says so, culprit first."""
    async with _bot(default=Reply.http_error(402, "insufficient credits")) as (slack, _, server):
        final = await _final_message(slack, server)
    blocks = json.loads(final)
    assert "LLM not used, rules instead for" in final and "402" in final
    first = next(
        b["text"]["text"] for b in blocks if "Suspects: " in b.get("text", {}).get("text", "")
    )
    suspects = re.findall(r"`([0-9a-f]{7,40})`", first)
    assert any(suspects_match(s, SHA_CULPRIT) for s in suspects)


async def test_upstream_secrets_never_reach_the_llm() -> None:
    """Tokens planted in GitHub commits and Sentry events are redacted from every prompt."""
    async with _bot(default=agreeing_model) as (slack, llm, server):
        await _final_message(slack, server)
        bodies = b"".join(r.raw for r in llm.requests)
    assert llm.request_count == len(AGENT_NAMES)
    for canary in (CANARY_SLACK, CANARY_GITHUB, CANARY_AWS):
        assert canary.encode() not in bodies
    # The planted lines did reach the prompts, redacted: the canaries were in the evidence.
    assert len(set(re.findall(rb"\[REDACTED:[a-z0-9_]+#\d+\]", bodies))) >= 3

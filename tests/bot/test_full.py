"""A full `/alpha investigate` through the real SRE engine: the culprit comes first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alpha.schemas import IncidentInput
from bot.app import create_bot
from bot.runner import Services
from sre.agents.roster import AGENT_NAMES
from sre.engine import build_runtime
from sre.taxonomy import suspects_match
from tests.bot.harness import (
    BotServer,
    FakeAssembly,
    hypothesis_sections,
    settings,
    suspects_of,
    wait_finished,
)
from tests.fakes.slack_server import FakeSlack

SCENARIO = Path(__file__).resolve().parents[2] / "sre" / "scenarios" / "orders-n-plus-one.json"


def _services(assemble: Any) -> Services:
    """The real SRE engine (one shared runtime) behind an injected payload source."""
    runtime = build_runtime(agent_timeout=10)

    async def engine(incident: IncidentInput, *, subscribers: Any, gaps: Any) -> Any:
        return await runtime.execute(incident, subscribers=subscribers, gaps=gaps)

    return Services(
        assemble_deployment=assemble,
        assemble_sentry_issue=assemble,
        engine=engine,
        live_sources=("payload file",),
        agent_names=AGENT_NAMES,
        update_interval=0.05,
    )


async def test_full_investigation_with_the_sre_engine_shows_the_culprit_first() -> None:
    """The final Slack message of a real run ranks the scenario's culprit commit first."""
    scenario = json.loads(SCENARIO.read_text())
    incident = IncidentInput.model_validate(scenario["incident"])
    expected = scenario["expected"]
    requested: list[str] = []

    async def assemble(deployment_id: str, *, progress: Any) -> FakeAssembly:
        requested.append(deployment_id)
        return FakeAssembly(incident, [], None)

    async with FakeSlack() as slack:
        bot = create_bot(settings(slack), _services(assemble))
        async with BotServer(bot) as server:
            status, _ = await server.command(f"investigate {incident.deployment_id}")
            assert status == 200
            await wait_finished(bot, timeout=20)
    assert requested == [incident.deployment_id]
    final = slack.of("chat.update")[-1].body
    sections = hypothesis_sections(final["blocks"])
    assert sections, "the final message lists hypotheses"
    first = sections[0]
    assert first.startswith("*1. ")
    assert f"`{expected['category']}`" in first.split("\n")[0]
    suspects = suspects_of(first)
    assert any(suspects_match(s, e) for s in suspects for e in expected["suspects"])
    # The signal list went to the thread.
    thread = [p for p in slack.of("chat.postMessage") if p.body.get("thread_ts")]
    assert thread and "sig_001" in json.dumps(thread[0].body["blocks"])


CONCURRENT = ["orders-n-plus-one", "billing-timeout-lowered", "search-flag-rerank"]


async def test_concurrent_investigations_keep_their_own_messages_and_results() -> None:
    """Three scenarios at once on one shared runtime: each message ends with its own culprit."""
    scenarios = {
        name: json.loads((SCENARIO.parent / f"{name}.json").read_text()) for name in CONCURRENT
    }
    by_id = {
        s["incident"]["deployment_id"]: IncidentInput.model_validate(s["incident"])
        for s in scenarios.values()
    }

    async def assemble(deployment_id: str, *, progress: Any) -> FakeAssembly:
        return FakeAssembly(by_id[deployment_id], [], None)

    async with FakeSlack() as slack:
        bot = create_bot(settings(slack), _services(assemble))
        async with BotServer(bot) as server:
            for deployment_id in by_id:
                await server.command(f"investigate {deployment_id}")
            await wait_finished(bot, runs=3, timeout=30)
    top_level = {
        p.body["text"]: None for p in slack.of("chat.postMessage") if not p.body.get("thread_ts")
    }
    assert len(top_level) == 3
    finals: dict[str, dict[str, Any]] = {}
    for call in slack.of("chat.update"):
        finals[call.body["ts"]] = call.body  # the last update of each message
    assert len(finals) == 3
    for scenario in scenarios.values():
        deployment_id = scenario["incident"]["deployment_id"]
        final = next(f for f in finals.values() if deployment_id in f["blocks"][0]["text"]["text"])
        suspects = suspects_of(hypothesis_sections(final["blocks"])[0])
        expected = scenario["expected"]["suspects"]
        assert any(suspects_match(s, e) for s in suspects for e in expected), deployment_id

"""Test harness: the bot's real aiohttp app on port 0, talking to a loopback fake Slack.

Requests are signed exactly as Slack signs them (`SignatureVerifier.generate_signature`).
The payload source and the engine are injected `Services`: a counting fake assembler and a
scripted engine that emits runtime events like `AlphaRuntime` does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from alpha.core.events import EventSubscriber
from alpha.schemas import (
    AgentEvent,
    AgentOutcome,
    AgentResult,
    AgentStatus,
    EventKind,
    ExecutionResult,
    Hypothesis,
    IncidentInput,
    RankedHypothesis,
    Signal,
)
from bot.app import EVENTS_PATH, Bot, create_bot, create_web_app
from bot.dedup import DatabaseDedup
from bot.investigations import InvestigationManager
from bot.runner import Services
from bot.settings import BotSettings
from sre.history.store import HistoryStore
from sre.integrations.assembler import SourceProgress
from tests.fakes.loopback import serve
from tests.fakes.slack_server import FakeSlack

SECRET = "test-signing-secret-0123456789"
# Slack gives every command and click its own trigger id.
_TRIGGERS = itertools.count(1)


def trigger_id() -> str:
    """A fresh trigger id, as Slack issues one per command or click."""
    return f"trig-{next(_TRIGGERS)}"


BOT_TOKEN = "xoxb-1111111111-2222222222-abcdefABCDEF123456"
AGENTS = ["LogAgent", "MetricsAgent", "CommitAgent", "ConfigAgent"]


def incident(deployment_id: str = "deploy-42") -> IncidentInput:
    """A small valid incident."""
    return IncidentInput(
        deployment_id=deployment_id,
        logs=["2026-11-20T14:03:11Z ERROR pool exhausted"],
        metrics={"error_rate": 0.2},
        recent_commits=[],
        config_snapshot={"database": {"pool_size": 5}},
    )


@dataclass(frozen=True)
class FakeAssembly:
    """Same shape as `sre.integrations.assembler.Assembly`."""

    incident: IncidentInput | None
    gaps: list[str]
    error: str | None


@dataclass
class FakeSources:
    """Counting payload sources (deployments and Sentry issues)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    gaps: list[str] = field(default_factory=list)

    async def deployment(self, deployment_id: str, *, progress: SourceProgress) -> FakeAssembly:
        self.calls.append(("deployment", deployment_id))
        if deployment_id in self.unknown:
            return FakeAssembly(None, [], f"deployment {deployment_id!r} not found in o/r")
        return FakeAssembly(incident(deployment_id), list(self.gaps), None)

    async def sentry_issue(self, issue_id: str, *, progress: SourceProgress) -> FakeAssembly:
        self.calls.append(("sentry_issue", issue_id))
        return FakeAssembly(incident(f"sentry-{issue_id}"), list(self.gaps), None)


def ranked(label: str, rank: int, **extra: Any) -> RankedHypothesis:
    """A ranked hypothesis citing sig_001."""
    values: dict[str, Any] = {
        "label": label,
        "confidence": 0.8,
        "score": 0.9 - rank / 10,
        "rank": rank,
        "category": "config_change",
        "suspects": ["database.pool_size"],
        "supporting_signals": ["sig_001"],
        "contributing_agents": ["ConfigAgent"],
    }
    values.update(extra)
    return RankedHypothesis(**values)


@dataclass
class ScriptedEngine:
    """Emits the runtime's event sequence and returns a prepared result.

    `gate`, when set, holds every run until it is set (slow investigations); `delay` adds
    a sleep before completing; `events_per_agent` sends that many progress events; `error`,
    when set, is raised at once instead (a failing engine).
    """

    hypotheses: Sequence[RankedHypothesis] = ()
    signals: Sequence[Signal] = (
        Signal(
            id="sig_001", type="config_change", description="pool_size 50 -> 5", source="config"
        ),
    )
    delay: float = 0.0
    gate: asyncio.Event | None = None
    events_per_agent: int = 1
    runs: int = 0
    fail_agent: str | None = None
    error: Exception | None = None

    async def __call__(
        self,
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> ExecutionResult:
        if self.error is not None:
            raise self.error
        self.runs += 1
        execution_id = f"exec-{self.runs}"

        async def emit(kind: EventKind, **kw: Any) -> None:
            event = AgentEvent(kind=kind, execution_id=execution_id, **kw)
            for subscriber in subscribers:
                outcome = subscriber(event)
                if outcome is not None:
                    await outcome

        await emit(EventKind.RUN_STARTED)
        for signal in self.signals:
            await emit(EventKind.SIGNAL_DETECTED, signal=signal)
        outcomes = []
        for index, name in enumerate(AGENTS):
            await emit(EventKind.AGENT_STARTED, agent_name=name, elapsed_ms=index)
            for step in range(self.events_per_agent):
                await emit(EventKind.AGENT_PROGRESS, agent_name=name, message=f"step {step}")
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        for name in AGENTS:
            if name == self.fail_agent:
                outcome = AgentOutcome(
                    agent_name=name, status=AgentStatus.FAILED, execution_time_ms=5, reason="boom"
                )
                await emit(EventKind.AGENT_FAILED, agent_name=name, outcome=outcome)
            else:
                for h in self.hypotheses:
                    if name in h.contributing_agents:
                        hyp = Hypothesis(
                            **h.model_dump(exclude={"score", "rank", "contributing_agents"})
                        )
                        await emit(EventKind.HYPOTHESIS_PRODUCED, agent_name=name, hypothesis=hyp)
                outcome = AgentOutcome(agent_name=name, status=AgentStatus.OK, execution_time_ms=12)
                await emit(EventKind.AGENT_COMPLETED, agent_name=name, outcome=outcome)
            outcomes.append(outcome)
        result = ExecutionResult(
            execution_id=execution_id,
            deployment_id=incident.deployment_id,
            ranked_hypotheses=list(self.hypotheses),
            signals_used=list(self.signals),
            agent_results=[AgentResult(agent_name=n) for n in AGENTS],
            agent_outcomes=outcomes,
            summary="Pool size was lowered.",
            next_actions=["Roll back the pool size change"],
            gaps=list(gaps),
            execution_time_ms=42.0,
        )
        await emit(EventKind.RUN_COMPLETED, result=result)
        return result


class VirtualTime:
    """A clock that only moves when someone sleeps on it (tests never really wait)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def settings(slack: FakeSlack, **overrides: Any) -> BotSettings:
    """Bot settings pointing at the fake Slack, HTTP mode, nothing read from the env file."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url,
        "slack_mode": "http",
        "update_interval_s": 0.05,
        # Claims private to this bot unless a test shares a file between bots.
        "dedup_path": ":memory:",
    }
    values.update(overrides)
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


class BotServer:
    """The bot's aiohttp app served on a loopback port, with signed request helpers."""

    def __init__(self, bot: Bot, *, clock: Any = time.time) -> None:
        self.bot = bot
        self._web_app = create_web_app(bot, clock=clock)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> BotServer:
        self._runner, root_url = await serve(self._web_app)
        self.url = root_url + EVENTS_PATH
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None and self._runner is not None
        await self.session.close()
        await self._runner.cleanup()

    async def post_raw(
        self, body: str, headers: dict[str, str], content_type: str
    ) -> tuple[int, str]:
        """POST a body with exactly these headers; return status and text."""
        assert self.session is not None
        all_headers = {"Content-Type": content_type, **headers}
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as r:
            return r.status, await r.text()

    async def post_signed(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST a body signed with the app's signing secret."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}
        headers.update(extra or {})
        return await self.post_raw(body, headers, content_type)

    async def command(
        self, text: str, *, user: str = "U1", channel: str = "C1", response_url: str = ""
    ) -> tuple[int, str]:
        """Send `/alpha <text>` as a signed slash command."""
        form = {
            "token": "legacy",
            "team_id": "T0001",
            "channel_id": channel,
            "user_id": user,
            "command": "/alpha",
            "text": text,
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
        return await self.post_signed(urlencode(form), "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str = "Ev1", retry_num: int | None = None
    ) -> tuple[int, str]:
        """Send an Events API callback (optionally marked as a redelivery)."""
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0001",
                "api_app_id": "AALPHA",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        extra = {}
        timestamp = None
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
            # Slack signs a redelivery at its own time: its signature differs from the first
            # delivery's, so only the event id can tell it is the same event.
            timestamp = int(time.time()) - retry_num
        return await self.post_signed(body, "application/json", timestamp=timestamp, extra=extra)

    async def action(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Send a block_actions interaction."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post_signed(body, "application/x-www-form-urlencoded")


def make_bot(
    slack: FakeSlack,
    engine: ScriptedEngine,
    sources: FakeSources,
    *,
    manager: InvestigationManager | None = None,
    live_sources: Sequence[str] = ("GitHub", "Sentry"),
    final_deadline: float = 600.0,
    virtual: VirtualTime | None = None,
    store: HistoryStore | None = None,
    **setting_overrides: Any,
) -> Bot:
    """A bot wired to the fake Slack and the injected services (on `virtual` time if given).

    With a history `store`, the bot records into it and claims its dedup keys there, as
    `python -m bot` does.
    """
    bot_settings = settings(slack, **setting_overrides)
    services = Services(
        assemble_deployment=sources.deployment,
        assemble_sentry_issue=sources.sentry_issue,
        engine=engine,
        live_sources=live_sources,
        agent_names=AGENTS,
        update_interval=bot_settings.update_interval_s,
        final_deadline=final_deadline,
    )
    if virtual is not None:
        services.clock, services.sleep = virtual.clock, virtual.sleep
    if store is not None:
        return create_bot(
            bot_settings, services, manager=manager, dedup=DatabaseDedup(store), store=store
        )
    return create_bot(bot_settings, services, manager=manager)


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    """Poll a condition on the loop (the bot works after its ack) up to `timeout` s."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def wait_finished(bot: Bot, runs: int = 1, timeout: float = 5.0) -> None:
    """Wait until exactly `runs` investigations were started and none is still active."""
    manager = bot.manager
    await wait_for(lambda: manager.started == runs and manager.active == 0, timeout)


def sentry_alert(
    issue: int,
    *,
    ts: str,
    channel: str = "CALERT",
    text: str = "[checkout-api] DatabaseError: pool exhausted",
    subtype: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `message` event as the Sentry app posts an alert for `issue` (id in the block_id)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "ts": ts,
        "bot_id": "B0SENTRY",
        "bot_profile": {"id": "B0SENTRY", "app_id": "A0SENTRY", "name": "Sentry"},
        "text": text,
        "blocks": [{"type": "section", "block_id": json.dumps({"issue": issue, "rule": 12})}],
    }
    if subtype is not None:
        event["subtype"] = subtype
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def hypothesis_sections(blocks: list[dict[str, Any]]) -> list[str]:
    """The ranked hypothesis sections of a final message (each followed by its feedback buttons)."""
    return [
        b["text"]["text"]
        for i, b in enumerate(blocks)
        if b["type"] == "section"
        and i + 1 < len(blocks)
        and str(blocks[i + 1].get("block_id", "")).startswith("alpha_feedback_")
    ]


def suspects_of(section: str) -> list[str]:
    """The suspects listed on a hypothesis section's `Suspects: ` line."""
    line = next(x for x in section.split("\n") if x.startswith("Suspects: "))
    return [s.strip("`") for s in line.removeprefix("Suspects: ").split(", ")]

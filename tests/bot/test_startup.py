"""Honest start-up and acks that never wait: no live source, the worker loop, the settings."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from alpha.core.events import EventSubscriber
from alpha.schemas import ExecutionResult, IncidentInput
from bot.__main__ import log_sources
from bot.services import default_services, live_sources, on_worker
from bot.settings import BotSettings
from bot.worker import Worker, relay
from tests.bot.harness import (
    BotServer,
    FakeSources,
    ScriptedEngine,
    make_bot,
    sentry_alert,
    wait_finished,
    wait_for,
)
from tests.fakes.github_server import integration_settings
from tests.fakes.slack_server import FakeSlack


async def test_with_no_live_source_investigate_says_so_in_slack_terms() -> None:
    """No Sentry or GitHub: `/alpha investigate 123` explains who fixes it; nothing is posted."""
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, sources, live_sources=(), alert_channels="CALERT")
        async with BotServer(bot) as server:
            status, text = await server.command("investigate 123")
            answer = json.loads(text)
            assert status == 200 and answer["response_type"] == "ephemeral"
            assert "no data source set up" in answer["text"]
            assert "SENTRY_AUTH_TOKEN" in answer["text"] and "GITHUB_TOKEN" in answer["text"]
            assert "--payload" not in answer["text"]
            # An alert cannot be triaged either: nothing starts, nothing is posted.
            await server.event(sentry_alert(42, ts="1700000100.000100"), event_id="EvNoSrc")
        assert bot.manager.started == 0 and sources.calls == []
        assert slack.of("chat.postMessage") == []


def test_start_up_logs_which_sources_are_configured(caplog: pytest.LogCaptureFixture) -> None:
    """Start-up names the configured sources, or says there are none and how to add them."""
    caplog.set_level(logging.INFO, logger="bot")
    bot_settings = BotSettings(_env_file=None, alert_channels="CALERT")  # type: ignore[call-arg]
    log_sources(bot_settings, [], None)
    assert "no live source configured" in caplog.text
    assert "ALPHA_ALERT_CHANNELS is set but Sentry is not configured" in caplog.text
    caplog.clear()
    log_sources(bot_settings, ["GitHub", "Sentry"], None)
    assert "live sources: GitHub, Sentry" in caplog.text and "not configured" not in caplog.text


def test_live_sources_follow_the_integration_settings() -> None:
    """A source counts as live only when all of its settings are set."""
    assert live_sources(integration_settings()) == []
    partial = integration_settings(sentry_auth_token="t", sentry_org="o")
    assert live_sources(partial) == []
    both = integration_settings(
        github_token="g",
        github_repository="o/r",
        sentry_auth_token="t",
        sentry_org="o",
        sentry_project="p",
    )
    assert live_sources(both) == ["GitHub", "Sentry"]
    async_services = default_services(settings_for_services(), integration_settings())
    assert list(async_services.live_sources) == []


def settings_for_services() -> BotSettings:
    return BotSettings(_env_file=None, slack_bot_token="xoxb-1")  # type: ignore[call-arg]


class BlockingEngine(ScriptedEngine):
    """An engine whose work holds its thread until released, like CPU-bound extraction."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.release = threading.Event()

    async def __call__(
        self,
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> ExecutionResult:
        self.inside.set()
        # Blocks the whole loop it runs on, as a million-line extraction would.
        self.release.wait(30)
        return await super().__call__(incident, subscribers=subscribers, gaps=gaps)


async def test_acks_are_answered_while_an_investigation_holds_the_worker() -> None:
    """With the heavy work on the worker loop, `/alpha help` is acked while an investigation
    blocks that loop; its events still reach the Slack message."""
    engine = BlockingEngine()
    async with FakeSlack() as slack:
        bot = make_bot(slack, engine, FakeSources())
        with Worker() as worker:
            bot.runner.services = on_worker(bot.runner.services, worker)
            async with BotServer(bot) as server:
                await server.command("investigate deploy-42")
                await wait_for(engine.inside.is_set)
                status, text = await server.command("help")
                assert status == 200 and "/alpha investigate" in json.loads(text)["text"]
                assert not engine.release.is_set(), "acked while the worker was still blocked"
                engine.release.set()
                await wait_finished(bot)
        assert "exec-1" in json.dumps(slack.of("chat.update")[-1].body)


async def test_relayed_events_run_on_the_bot_loop_in_order() -> None:
    """Events emitted on the worker loop reach the bot's callback on the bot's thread, in order."""
    seen: list[tuple[int, str]] = []
    callback = relay(lambda n: seen.append((n, threading.current_thread().name)))

    async def emit() -> None:
        for n in range(100):
            callback(n)

    with Worker() as worker:
        await worker.run(emit())
        await wait_for(lambda: len(seen) == 100)
    assert [n for n, _ in seen] == list(range(100))
    assert {name for _, name in seen} == {threading.current_thread().name}


async def test_cancelling_a_run_cancels_its_work_on_the_worker() -> None:
    """Stopping the bot cancels the investigation's coroutine on the worker loop too."""
    started, cancelled = asyncio.Event(), threading.Event()

    async def endless() -> None:
        loop.call_soon_threadsafe(started.set)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    loop = asyncio.get_running_loop()
    with Worker() as worker:
        task = asyncio.create_task(worker.run(endless()))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(cancelled.wait, 5)
    assert cancelled.is_set()


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::1", "bot.internal", "localhost"])
def test_alpha_http_host_accepts_addresses_and_host_names(host: str) -> None:
    """ALPHA_HTTP_HOST takes an IP address or a host name (default 0.0.0.0 for containers)."""
    assert BotSettings(_env_file=None, http_host=host).http_host == host  # type: ignore[call-arg]
    assert BotSettings(_env_file=None).http_host == "0.0.0.0"  # type: ignore[call-arg]


@pytest.mark.parametrize("host", ["http://x", "a b", "", "x:80", "a..b", "-" * 300])
def test_alpha_http_host_refuses_urls_and_junk(host: str) -> None:
    """A URL, a port or junk in ALPHA_HTTP_HOST is a configuration error naming the setting."""
    with pytest.raises(ValidationError, match="ALPHA_HTTP_HOST"):
        BotSettings(_env_file=None, http_host=host)  # type: ignore[call-arg]

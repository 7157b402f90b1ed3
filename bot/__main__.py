"""`python -m bot`: read the settings once, then serve Slack in Socket Mode or over HTTP.

Start-up is honest and fast to fail: it logs which live sources are configured, checks the
bot token (`auth.test`) and, in Socket Mode, the app token before listening, and a token
Slack refuses ends the process at once with one line and exit status 2. SIGINT and SIGTERM
stop it within seconds in every state: while Slack is being reached, while Socket Mode
connects or reconnects, and while it serves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import ValidationError

from alpha.core.errors import AlphaError, ConfigurationError, StorageError
from alpha.core.http import NetworkPolicy
from bot.app import EVENTS_PATH, Bot, create_bot, create_web_app
from bot.dedup import DatabaseDedup
from bot.history import BotHistory
from bot.settings import BotSettings
from bot.slack_calls import SlackCallFailed, slack_call
from sre.history.settings import HistorySettings

log = logging.getLogger("bot")

T = TypeVar("T")

# Longest pause between two tries to reach Slack at start-up.
_MAX_STARTUP_BACKOFF_S = 30.0
# How long closing the Socket Mode connection may take before it is abandoned.
_CLOSE_TIMEOUT_S = 5.0
# What Slack answers for an app-level token it refuses.
_BAD_APP_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type"}
)


class _Stopped(AlphaError):
    """SIGINT/SIGTERM arrived while waiting for something else."""


async def unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `work`, unless `stop` is set first: then cancel it and raise `_Stopped`."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, waiter):
            pending.cancel()
        await asyncio.wait({task, waiter})
    if task.cancelled():
        raise _Stopped
    return task.result()


async def reach_slack(bot: Bot, stop: asyncio.Event) -> None:
    """`auth.test` before listening; retried with backoff while Slack cannot be reached.

    Raises:
        ConfigurationError: Slack refuses the bot token (no point in retrying).
        _Stopped: a signal arrived first.
    """
    pause = 1.0
    while True:
        try:
            await unless_stopped(bot.verify_token(), stop)
            return
        except SlackCallFailed as error:
            log.warning("Slack not reachable (%s); trying again in %.0f s", error.code, pause)
        await unless_stopped(asyncio.sleep(pause), stop)
        pause = min(pause * 2, _MAX_STARTUP_BACKOFF_S)


async def serve_http(bot: Bot, stop: asyncio.Event) -> None:
    """Serve `/slack/events` on `settings.http_host:settings.port` until `stop` is set."""
    settings = bot.settings
    runner = web.AppRunner(create_web_app(bot), handle_signals=False)
    await runner.setup()
    try:
        await reach_slack(bot, stop)
        site = web.TCPSite(runner, host=settings.http_host, port=settings.port)
        await site.start()
        log.info(
            "Alpha bot listening on %s:%d%s (HTTP mode)",
            settings.http_host,
            settings.port,
            EVENTS_PATH,
        )
        await stop.wait()
    finally:
        # Cleanup cancels and awaits the investigations (the manager's cleanup context).
        await runner.cleanup()


async def check_app_token(bot: Bot) -> None:
    """Ask Slack for a Socket Mode URL once, so that a bad app token fails at start-up.

    Raises:
        ConfigurationError: Slack refuses the app token.
        SlackCallFailed: Slack could not be asked.
    """
    token = bot.settings.slack_app_token.get_secret_value()
    try:
        await slack_call("apps.connections.open", bot.client.apps_connections_open(app_token=token))
    except SlackCallFailed as error:
        if error.code in _BAD_APP_TOKEN:
            raise ConfigurationError(
                f"SLACK_APP_TOKEN was refused by Slack ({error.code})"
            ) from error
        raise


async def serve_socket(bot: Bot, stop: asyncio.Event) -> None:
    """Connect to Slack over Socket Mode and handle requests until `stop` is set."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    try:
        await reach_slack(bot, stop)
        await unless_stopped(check_app_token(bot), stop)
        handler = AsyncSocketModeHandler(bot.app, bot.settings.slack_app_token.get_secret_value())
        async with bot.manager:
            try:
                # slack_sdk retries a failed connection forever; a signal still ends it.
                await unless_stopped(handler.connect_async(), stop)  # type: ignore[no-untyped-call]
                log.info("Alpha bot connected (Socket Mode)")
                await stop.wait()
            except _Stopped:
                pass  # not raised through the manager's task group (it would wrap it)
            finally:
                await _close(handler)
    finally:
        bot.dedup.close()


async def _close(handler: Any) -> None:
    """Close the Socket Mode connection, giving up after `_CLOSE_TIMEOUT_S`."""
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_S):
            await handler.close_async()
    except TimeoutError:
        log.warning("Socket Mode connection not closed within %.0f s", _CLOSE_TIMEOUT_S)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def log_sources(settings: BotSettings, sources: list[str], llm: Any) -> None:
    """Say at start-up what the bot can investigate with, and what it cannot."""
    if sources:
        log.info("live sources: %s", ", ".join(sources))
    else:
        log.warning(
            "no live source configured (set SENTRY_AUTH_TOKEN, SENTRY_ORG, SENTRY_PROJECT and/or "
            "GITHUB_TOKEN, GITHUB_REPOSITORY): /alpha investigate will say so in Slack"
        )
    if settings.alert_channels and "Sentry" not in sources:
        log.warning("ALPHA_ALERT_CHANNELS is set but Sentry is not configured: alerts are ignored")
    if settings.alert_channels and not settings.sentry_app_ids:
        log.warning(
            "ALPHA_SENTRY_APP_IDS is not set: Sentry alerts are recognised by the display name "
            "'Sentry', which any app can take; set the Sentry app's id (docs/slack.md)"
        )
    log.info("analysis: %s", "LLM-refined" if llm is not None else "deterministic (no LLM)")


async def _main(
    settings: BotSettings, history: HistorySettings, llm: Any, network: NetworkPolicy
) -> None:
    from bot.services import default_services, live_sources
    from bot.worker import Worker
    from sre.history.store import open_store
    from sre.integrations.settings import IntegrationSettings

    integration_settings = IntegrationSettings()
    stop = _stop_on_signals()
    with Worker() as worker:
        services = default_services(
            settings, integration_settings, llm=llm, worker=worker, network=network
        )
        log_sources(settings, live_sources(integration_settings), llm)
        # The history database also holds the dedup keys, shared by every bot process on it.
        async with open_store(history.url()) as store:
            log.info("history: %s (runs kept %d days)", store.describe(), history.retention_days)
            bot = create_bot(
                settings,
                services,
                dedup=DatabaseDedup(store),
                store=store,
                retention_days=history.retention_days,
                network=network,
            )
            memory = bot.history or BotHistory(store, bot.client)  # create_bot made it
            # Not in a TaskGroup with the server: its errors (a refused token) must reach
            # `main` as themselves, not wrapped in an ExceptionGroup.
            retention = asyncio.create_task(memory.retention_loop(), name="retention")
            try:
                if settings.mode == "socket":
                    await serve_socket(bot, stop)
                else:
                    await serve_http(bot, stop)
            except _Stopped:
                pass
            finally:
                await _cancel(retention)
    log.info("stopped")


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel an owned task and wait for it; a cancellation of the caller still propagates."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


def _llm_mode(network: NetworkPolicy) -> Any:
    """The process's LLM mode when a key or endpoint is configured, else None."""
    from sre.llm.mode import configured_mode

    return configured_mode(required=False, network=network)


def main() -> int:
    """Entry point; returns the process exit code."""
    try:
        settings = BotSettings()
        settings.check()
        history = HistorySettings()
        network = NetworkPolicy.from_environment()
        llm = _llm_mode(network)
    except (ValidationError, ConfigurationError) as error:
        print(f"alpha bot: configuration error: {error}", file=sys.stderr)
        return 2
    from bot.observability import configure

    configure(settings, network)
    try:
        asyncio.run(_main(settings, history, llm, network))
    except ConfigurationError as error:
        print(f"alpha bot: configuration error: {error}", file=sys.stderr)
        return 2
    except StorageError as error:
        print(f"alpha bot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bot`: read the settings once, then serve Slack in Socket Mode or over HTTP."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from alpha.core.errors import ConfigurationError
from bot.app import EVENTS_PATH, Bot, create_bot, create_web_app
from bot.settings import BotSettings

log = logging.getLogger("bot")


async def serve_http(bot: Bot, stop: asyncio.Event, *, host: str = "0.0.0.0") -> None:
    """Serve `/slack/events` on `settings.port` until `stop` is set."""
    runner = web.AppRunner(create_web_app(bot), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=bot.settings.port)
    await site.start()
    log.info("Alpha bot listening on :%d%s (HTTP mode)", bot.settings.port, EVENTS_PATH)
    try:
        await stop.wait()
    finally:
        # Cleanup cancels and awaits the investigations (the manager's cleanup context).
        await runner.cleanup()


async def serve_socket(bot: Bot, stop: asyncio.Event) -> None:
    """Connect to Slack over Socket Mode and handle requests until `stop` is set."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bot.app, bot.settings.slack_app_token.get_secret_value())
    async with bot.manager:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Alpha bot connected (Socket Mode)")
        try:
            await stop.wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _main(settings: BotSettings, llm: Any) -> None:
    from bot.services import default_services
    from sre.integrations.settings import IntegrationSettings

    services = default_services(settings, IntegrationSettings(), llm=llm)
    bot = create_bot(settings, services)
    stop = _stop_on_signals()
    if settings.mode == "socket":
        await serve_socket(bot, stop)
    else:
        await serve_http(bot, stop)
    log.info("stopped")


def _llm_mode() -> Any:
    """The process's LLM mode when a key or endpoint is configured, else None."""
    from sre.llm.mode import configured_mode

    return configured_mode(required=False)


def main() -> int:
    """Entry point; returns the process exit code."""
    try:
        settings = BotSettings()
        settings.check()
        llm = _llm_mode()
    except (ValidationError, ConfigurationError) as error:
        print(f"alpha bot: configuration error: {error}", file=sys.stderr)
        return 2
    from bot.observability import configure

    configure(settings)
    log.info("analysis: %s", "LLM-refined" if llm is not None else "deterministic (no LLM)")
    asyncio.run(_main(settings, llm))
    return 0


if __name__ == "__main__":
    sys.exit(main())

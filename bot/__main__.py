"""`python -m bot`: read the settings once, then serve Slack in Socket Mode or over HTTP."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from pydantic import ValidationError

from alpha.errors import ConfigurationError
from bot.app import EVENTS_PATH, Bot, create_bot, create_web_app
from bot.settings import BotSettings

log = logging.getLogger("bot")


def _configure_logging(settings: BotSettings) -> None:
    from sre.redaction import install_log_redaction

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_log_redaction()
    dsn = settings.sentry_dsn.get_secret_value()
    if dsn:
        import sentry_sdk

        # The default logging integration turns ERROR log records (crashed investigations
        # are logged with their traceback) into Sentry events.
        sentry_sdk.init(dsn=dsn, send_default_pii=False)


async def _serve_http(bot: Bot) -> None:
    runner = web.AppRunner(create_web_app(bot), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=bot.settings.port)
    await site.start()
    log.info("Alpha bot listening on :%d%s (HTTP mode)", bot.settings.port, EVENTS_PATH)
    try:
        await _until_signalled()
    finally:
        # Cleanup cancels and awaits the investigations (the manager's cleanup context).
        await runner.cleanup()


async def _serve_socket(bot: Bot) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bot.app, bot.settings.slack_app_token.get_secret_value())
    async with bot.manager:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Alpha bot connected (Socket Mode)")
        try:
            await _until_signalled()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")


async def _main(settings: BotSettings) -> None:
    from bot.services import default_services
    from sre.integrations.settings import IntegrationSettings

    services = default_services(settings, IntegrationSettings())
    bot = create_bot(settings, services)
    if settings.mode == "socket":
        await _serve_socket(bot)
    else:
        await _serve_http(bot)


def main() -> int:
    """Entry point; returns the process exit code."""
    try:
        settings = BotSettings()
        settings.check()
    except (ValidationError, ConfigurationError) as error:
        print(f"alpha bot: configuration error: {error}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    asyncio.run(_main(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())

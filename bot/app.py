"""The Bolt `AsyncApp` factory and the aiohttp application serving `/slack/events`.

The aiohttp handler verifies Slack's signature itself before Bolt sees the request. Bolt
verifies too, but a non-numeric or absurdly long timestamp makes its verifier raise (a 500),
and on a bad signature it logs the request body; here such requests get a 401 and a log line
without the body.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.handlers import Handlers
from bot.investigations import InvestigationManager
from bot.redacting_client import RedactingWebClient
from bot.runner import InvestigationRunner, Services
from bot.sentry_webhook import WEBHOOK_PATH, webhook_handler
from bot.settings import BotSettings
from sre.redaction.maintained import warm_up

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_CLOCK_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Slack's payloads are small; refuse anything larger before reading it into memory.
MAX_BODY_BYTES = 1_000_000


@dataclass
class Bot:
    """The assembled app: Bolt, its clients, the manager and the runner."""

    settings: BotSettings
    app: AsyncApp
    client: AsyncWebClient
    manager: InvestigationManager
    runner: InvestigationRunner
    handlers: Handlers


def make_clients(settings: BotSettings) -> tuple[AsyncWebClient, AsyncWebClient]:
    """Two redacting Web API clients on the same token: one retrying 429s, one for updates.

    `chat.update` goes through the second, which has no rate-limit retry handler, so a
    refused update is superseded by the newest state instead of being resent as is.
    """
    token = settings.slack_bot_token.get_secret_value()
    base_url = settings.slack_api_url.rstrip("/") + "/"
    # Every body either client sends passes the redaction boundary (bot.redacting_client).
    client = RedactingWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    update_client = RedactingWebClient(token=token, base_url=base_url)
    return client, update_client


def create_bot(
    settings: BotSettings,
    services: Services,
    *,
    manager: InvestigationManager | None = None,
) -> Bot:
    """Build the Bolt app with every listener registered.

    Args:
        settings: the bot's settings (already checked with `settings.check()`).
        services: payload sources and engine (see `bot.services.default_services`).
        manager: the job manager; one with `settings.max_concurrent` slots by default.
    """
    # The secret rules compile on first use (about 0.1 s): now, not in the first request.
    warm_up()
    client, update_client = make_clients(settings)
    secret = settings.slack_signing_secret.get_secret_value()
    verify = settings.mode == "http" or bool(secret)
    app = AsyncApp(
        client=client,
        signing_secret=secret or None,
        request_verification_enabled=verify,
        process_before_response=False,
        logger=logging.getLogger("bot.bolt"),
    )
    manager = manager or InvestigationManager(max_concurrent=settings.max_concurrent)
    runner = InvestigationRunner(services, client, update_client)
    handlers = Handlers(settings, manager, runner).register(app)
    return Bot(
        settings=settings,
        app=app,
        client=client,
        manager=manager,
        runner=runner,
        handlers=handlers,
    )


def signature_ok(secret: str, timestamp: str, signature: str, body: bytes, now: float) -> bool:
    """Slack's v0 request signature, with the timestamp checked for shape and age.

    A malformed timestamp (not 1-12 digits) is simply invalid, never an exception.
    """
    if not secret or not _TIMESTAMP.fullmatch(timestamp) or not signature:
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_S:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def create_web_app(bot: Bot, *, clock: Callable[[], float] = time.time) -> web.Application:
    """The aiohttp application for HTTP mode: `POST /slack/events` and `GET /healthz`, plus
    `POST /sentry/webhook` when the Sentry webhook is configured.

    The investigation manager lives as long as the application (its cleanup context), so
    stopping the server cancels and awaits every investigation.
    """
    secret = bot.settings.slack_signing_secret.get_secret_value()

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature_ok(secret, timestamp, signature, body, clock()):
            # Neither the body nor the headers are logged: they are attacker-controlled.
            log.warning("refused a Slack request with an invalid signature or timestamp")
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        return await to_aiohttp_response(await bot.app.async_dispatch(bolt_request))

    async def health(_: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "running": bot.manager.running, "queued": bot.manager.queued}
        )

    async def manager_lifetime(_: web.Application) -> AsyncIterator[None]:
        async with bot.manager:
            yield

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get("/healthz", health)
    settings = bot.settings
    if settings.sentry_webhook_enabled:
        channel = settings.sentry_webhook_channel

        def triage(issue_id: str) -> bool:
            return bot.handlers.triage_sentry_issue(issue_id, channel, None)

        handler = webhook_handler(
            settings.sentry_client_secret.get_secret_value(), bot.manager, triage
        )
        web_app.router.add_post(WEBHOOK_PATH, handler)
    web_app.cleanup_ctx.append(manager_lifetime)
    return web_app

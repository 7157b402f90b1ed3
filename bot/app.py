"""The Bolt `AsyncApp` factory and the aiohttp application serving `/slack/events`.

The aiohttp handler verifies Slack's signature itself before Bolt sees the request. Bolt
verifies too, but a non-numeric or absurdly long timestamp makes its verifier raise (a 500),
and on a bad signature it logs the request body; here such requests get a 401 and a log line
without the body. A correctly signed request seen before (the same signature, so the same
timestamp and body: a replay inside Slack's 300 s window) is acknowledged and ignored, in
every process sharing the dedup store. A signed but malformed body gets a 400 and one log
line naming the problem (`bot.inbound`), never a 500.

The bot's identity (`auth.test`) is fetched once, at start-up, before the app listens
(`Bot.verify_token`): Bolt would otherwise call it on the first request, inside that
request's 3 s ack budget.
"""

from __future__ import annotations

import asyncio
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
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from alpha.core.errors import ConfigurationError
from alpha.core.http import NetworkPolicy
from bot.dedup import DedupStore, SQLiteDedupStore
from bot.handlers import Handlers
from bot.history import BotHistory
from bot.inbound import body_problem
from bot.investigations import InvestigationManager
from bot.redacting_client import RedactingWebClient
from bot.runner import InvestigationRunner, Services
from bot.sentry_webhook import WEBHOOK_PATH, webhook_handler
from bot.settings import BotSettings
from bot.slack_calls import SlackCallFailed, slack_call
from sre.history.settings import DEFAULT_RETENTION_DAYS
from sre.history.store import HistoryStore
from sre.redaction.maintained import warm_up

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_CLOCK_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Slack's payloads are small; refuse anything larger before reading it into memory.
MAX_BODY_BYTES = 1_000_000
# A signature is remembered as long as its request could be replayed: its timestamp is
# accepted up to MAX_CLOCK_SKEW_S either side of now.
REPLAY_WINDOW_S = 2 * MAX_CLOCK_SKEW_S
# Tokens Slack refuses for good: starting would only fail every request.
_BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


class _TokenNoticeFilter(logging.Filter):
    """Drops Bolt's "`token` will be unused" warning, which is noise here.

    Bolt reads `SLACK_BOT_TOKEN` from the environment itself and warns at every start that
    the client we give it wins over that token. The token is ours on purpose: it comes from
    the settings through `BotIdentity` for every request.
    """

    _NOTICE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._NOTICE


class BotIdentity:
    """The bot's `auth.test`, fetched once and given to Bolt for every request.

    Args:
        client: the Web API client carrying the bot token.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._result: AuthorizeResult | None = None
        # Requests arriving before the first answer wait for it instead of asking again.
        self._asking = asyncio.Lock()

    async def verify(self) -> AuthorizeResult:
        """Call `auth.test` (once); the result is reused by every later request.

        Raises:
            ConfigurationError: Slack refuses the token (`invalid_auth`, revoked, ...).
            SlackCallFailed: Slack could not be asked (unreachable, 5xx).
        """
        async with self._asking:
            if self._result is None:
                try:
                    response = await slack_call("auth.test", self._client.auth_test())
                except SlackCallFailed as error:
                    if error.code in _BAD_TOKEN:
                        raise ConfigurationError(
                            f"SLACK_BOT_TOKEN was refused by Slack ({error.code})"
                        ) from error
                    raise
                self._result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response, bot_token=self._client.token
                )
            return self._result


@dataclass
class Bot:
    """The assembled app: Bolt, its clients, the manager and the runner."""

    settings: BotSettings
    app: AsyncApp
    client: AsyncWebClient
    manager: InvestigationManager
    runner: InvestigationRunner
    handlers: Handlers
    dedup: DedupStore
    identity: BotIdentity
    history: BotHistory | None = None

    async def verify_token(self) -> None:
        """`auth.test` now, before listening (see the module docstring)."""
        await self.identity.verify()


def make_clients(
    settings: BotSettings, network: NetworkPolicy | None = None
) -> tuple[AsyncWebClient, AsyncWebClient]:
    """Two redacting Web API clients on the same token: one retrying 429s and 5xx, one for
    edits.

    `chat.update` goes through the second, which has no retry handler of its own, so a
    refused update is superseded by the newest state instead of being resent as is (the
    publisher retries the final state itself).
    """
    token = settings.slack_bot_token.get_secret_value()
    base_url = settings.slack_api_url.rstrip("/") + "/"
    network = network or NetworkPolicy()
    # slack_sdk reads HTTPS_PROXY itself but not NO_PROXY: the policy's answer is set after.
    proxy = network.proxy_for(base_url)
    context = network.ssl_context()
    # Every body either client sends passes the redaction boundary (bot.redacting_client).
    client = RedactingWebClient(token=token, base_url=base_url, ssl=context)
    client.proxy = proxy
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    update_client = RedactingWebClient(token=token, base_url=base_url, ssl=context)
    update_client.proxy = proxy
    return client, update_client


def create_bot(
    settings: BotSettings,
    services: Services,
    *,
    manager: InvestigationManager | None = None,
    dedup: DedupStore | None = None,
    store: HistoryStore | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    network: NetworkPolicy | None = None,
) -> Bot:
    """Build the Bolt app with every listener registered.

    Args:
        settings: the bot's settings (already checked with `settings.check()`).
        services: payload sources and engine (see `bot.services.default_services`).
        manager: the job manager; one with `settings.max_concurrent` slots by default.
        dedup: the at-most-once store; a `SQLiteDedupStore` on `settings.dedup_path` by
            default (closed with the app, see `create_web_app` and `bot.__main__`).
        store: the open history store (its opener closes it): runs, verdicts, replays;
            None keeps no history.
        retention_days: runs older than this are purged by `BotHistory.retention_loop`.
        network: proxies and CA bundle of the Slack clients (`alpha.core.http`).

    Raises:
        ConfigurationError: the dedup store cannot be opened.
    """
    # The secret rules compile on first use (about 0.1 s): now, not in the first request.
    warm_up()
    client, update_client = make_clients(settings, network)
    identity = BotIdentity(client)

    async def authorize() -> AuthorizeResult:
        # Bolt's `authorize` hook: the identity fetched at start-up (now, if not yet).
        return await identity.verify()

    secret = settings.slack_signing_secret.get_secret_value()
    verify = settings.mode == "http" or bool(secret)
    bolt_log = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _TokenNoticeFilter) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenNoticeFilter())
    bolt_client = AsyncWebClient(base_url=client.base_url, ssl=client.ssl)
    bolt_client.proxy = client.proxy
    app = AsyncApp(
        # Bolt's own client carries no token: every request gets one from `identity`.
        client=bolt_client,
        authorize=authorize,
        signing_secret=secret or None,
        request_verification_enabled=verify,
        process_before_response=False,
        logger=bolt_log,
    )
    manager = manager or InvestigationManager(max_concurrent=settings.max_concurrent)
    dedup = dedup or SQLiteDedupStore(settings.dedup_path)
    history = None
    if store is not None:
        history = BotHistory(store, client, retention_days=retention_days)
    runner = InvestigationRunner(services, client, update_client, history)
    handlers = Handlers(settings, manager, runner, dedup, history).register(app)
    return Bot(
        settings=settings,
        app=app,
        client=client,
        manager=manager,
        runner=runner,
        handlers=handlers,
        dedup=dedup,
        identity=identity,
        history=history,
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
        if not await bot.dedup.claim(f"signature:{signature}", REPLAY_WINDOW_S):
            log.info("ignored a replayed Slack request (a signature seen before)")
            return web.Response(status=200)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("refused a malformed Slack request: body is not UTF-8")
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        problem = body_problem(request.content_type, text)
        if problem is not None:
            log.warning("refused a malformed Slack request: %s", problem)
            return web.json_response({"error": problem}, status=400)
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
        try:
            async with bot.manager:
                yield
        finally:
            bot.dedup.close()

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, events)
    web_app.router.add_get("/healthz", health)
    settings = bot.settings
    if settings.sentry_webhook_enabled:
        channel = settings.sentry_webhook_channel

        async def triage(issue_id: str) -> bool:
            return await bot.handlers.triage_sentry_issue(
                issue_id, channel, None, trigger="webhook"
            )

        handler = webhook_handler(
            settings.sentry_client_secret.get_secret_value(), bot.dedup, triage
        )
        web_app.router.add_post(WEBHOOK_PATH, handler)
    web_app.cleanup_ctx.append(manager_lifetime)
    return web_app

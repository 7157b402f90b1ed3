"""Optional Sentry integration-platform webhook: `POST /sentry/webhook` starts a triage.

An alternative to watching Sentry's Slack messages, for installations with a Sentry
internal integration. Enabled when both `SENTRY_CLIENT_SECRET` and
`ALPHA_SENTRY_WEBHOOK_CHANNEL` are set. Requests are verified with
`Sentry-Hook-Signature` (HMAC-SHA256 of the raw body with the client secret) and
deduplicated on `Request-ID`; `event_alert` payloads name the issue in `data.event.issue_id`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.dedup import DedupStore
from bot.sentry_alerts import issue_id_text

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/sentry/webhook"
REQUEST_DEDUP_WINDOW_S = 3600.0

# (issue id) -> whether an investigation started; bound to the handlers by the app factory.
Triage = Callable[[str], Awaitable[bool]]


def sentry_signature_ok(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is the hex HMAC-SHA256 of `body` under `secret` (constant time)."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def issue_id_from_alert(payload: object) -> str | None:
    """`data.event.issue_id` of an `event_alert` payload, as digits, or None."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    event = data.get("event") if isinstance(data, dict) else None
    return issue_id_text(event.get("issue_id") if isinstance(event, dict) else None)


def webhook_handler(
    secret: str, dedup: DedupStore, triage: Triage
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for `POST /sentry/webhook`."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if not sentry_signature_ok(secret, body, request.headers.get("Sentry-Hook-Signature", "")):
            log.warning("refused a Sentry webhook with an invalid signature")
            return web.json_response({"error": "invalid signature"}, status=401)
        request_id = request.headers.get("Request-ID", "")
        if request_id and not await dedup.claim(
            f"sentry-hook:{request_id}", REQUEST_DEDUP_WINDOW_S
        ):
            log.info("ignored a repeated Sentry webhook %r", request_id[:64])
            return web.json_response({"ok": True, "duplicate": True})
        resource = request.headers.get("Sentry-Hook-Resource", "")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            log.warning("refused a Sentry webhook whose body is not JSON")
            return web.json_response({"error": "body is not JSON"}, status=400)
        if resource != "event_alert":
            return web.json_response({"ok": True, "ignored": resource[:64]})
        issue_id = issue_id_from_alert(payload)
        if issue_id is None:
            return web.json_response({"error": "data.event.issue_id is missing"}, status=400)
        started = await triage(issue_id)
        return web.json_response({"ok": True, "started": started})

    return handle

"""The Slack side of the redaction boundary: no body leaves for Slack unredacted.

`RedactingWebClient` is the Web API client the bot posts through: every string of every
request (text, blocks, thread replies, ephemeral messages, button values) is redacted and
stripped of control and bidirectional characters just before it is sent, whatever code
built it. Results are already redacted by the investigation's own redactor (which knows
the payload); this last pass uses the rules alone and catches everything else (an error
message, a deployment id typed in a command, a Sentry alert's title).

`slack_safe` does the same for texts answered outside the Web API (a command's `ack`,
`respond` to a `response_url`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from sre.redaction import Redactor, safe_text

# Request fields that are identifiers of Slack's own, never text from a payload.
_IDENTIFIERS = frozenset({"channel", "ts", "thread_ts", "token", "user", "users", "cursor"})


def scrub(value: Any, redactor: Redactor | None = None) -> Any:
    """A JSON-like request body with every string redacted and made safe for Slack."""
    redactor = redactor or Redactor()
    redactor.learn_tree(value)
    return _clean(value, redactor)


def _clean(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return safe_text(redactor.hide_known(value))
    if isinstance(value, dict):
        return {
            key: item if key in _IDENTIFIERS else _clean(item, redactor)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(item, redactor) for item in value]
    return value


def slack_safe(text: str) -> str:
    """One text for Slack (an `ack` or `respond` answer): redacted, no control characters."""
    cleaned: str = scrub(text)
    return cleaned


# Bodies larger than this (a thread of 40 signals) are scanned off the event loop; a
# progress edit takes well under a millisecond and is scanned in place, keeping its order.
_THREAD_ABOVE_CHARS = 16_000


async def _scrubbed(body: dict[str, Any], redactor: Redactor) -> Any:
    if len(repr(body)) > _THREAD_ABOVE_CHARS:
        return await asyncio.to_thread(scrub, body, redactor)
    return scrub(body, redactor)


class RedactingWebClient(AsyncWebClient):
    """An `AsyncWebClient` whose every request body passes the redaction boundary."""

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        redactor = Redactor()
        if isinstance(data, dict):
            data = await _scrubbed(data, redactor)
        if params:
            params = await _scrubbed(params, redactor)
        if json:
            json = await _scrubbed(json, redactor)
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )

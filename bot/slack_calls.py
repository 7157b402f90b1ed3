"""One typed failure for every way a Slack Web API call can go wrong.

slack_sdk raises `SlackApiError` for Slack's error answers, but a body that is not a JSON
object escapes it: an HTML or plain-text page, a JSON list, or invalid JSON gives an
`AttributeError` or `TypeError` from inside the client, or a `SlackApiError` whose
`response` is aiohttp's raw response (no `.data`, no `.get`). Transport failures are aiohttp
errors and timeouts. `slack_call` turns all of these into `SlackCallFailed`, whose `code`
is Slack's error code when there is one (`not_in_channel`), else a description of what came
back (`http_500`, `unreadable_response`, `ClientConnectorError`), so callers catch one type
and never crash on what Slack (or a proxy in front of it) answered.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from alpha.core.errors import IntegrationError

# Longest Retry-After honoured, in seconds (Slack asks for up to a minute).
MAX_RETRY_AFTER_S = 60.0


class SlackCallFailed(IntegrationError):
    """A Slack Web API call failed.

    Attributes:
        method: the API method (`chat.update`).
        code: Slack's error code, or what came back instead (`http_502`, ...).
        status: the HTTP status, when there was an answer.
        retry_after: seconds Slack asked us to wait (429), else None.
    """

    def __init__(
        self, method: str, code: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{method} failed: {code}")
        self.method = method
        self.code = code
        self.status = status
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        """Slack refused because of its rate limit."""
        return self.status == 429 or self.code == "ratelimited"


async def slack_call(method: str, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """Await one Web API call; any failure becomes `SlackCallFailed`.

    Args:
        method: the API method, for messages.
        call: the client's coroutine (`client.chat_update(...)`), awaited here only.
    """
    try:
        return await call
    except SlackApiError as error:
        raise _from_api_error(method, error) from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SlackCallFailed(method, type(error).__name__) from error
    except (AttributeError, TypeError, ValueError) as error:
        # Raised inside slack_sdk while it reads a body that is not a JSON object.
        raise SlackCallFailed(method, "unreadable_response") from error


def _from_api_error(method: str, error: SlackApiError) -> SlackCallFailed:
    response: Any = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code:
        if status and status != 200:
            code = f"http_{status}"
        else:
            code = "unknown_error" if isinstance(data, dict) else "unreadable_response"
    retry_after = None
    if status == 429 or code == "ratelimited":
        retry_after = retry_after_seconds(getattr(response, "headers", None))
    return SlackCallFailed(
        method,
        code[:100],
        status=status if isinstance(status, int) else None,
        retry_after=retry_after,
    )


def retry_after_seconds(headers: object) -> float:
    """Seconds from a `Retry-After` header (any case), 1 when absent or unreadable, capped."""
    items = getattr(headers, "items", None)
    if items is None:
        return 1.0
    for key, value in items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, min(float(raw), MAX_RETRY_AFTER_S))
            except (TypeError, ValueError):
                return 1.0
    return 1.0

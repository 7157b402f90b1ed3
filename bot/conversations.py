"""Talking to the bot in messages: the words of a mention or a DM, and how to answer them.

`message_words` turns a message into the words `bot.handlers.parse_command` reads (the
mention dropped, Slack's automatic links undone); `ephemeral` answers the person who
mentioned the bot where only they see it, `post_in` answers in a DM. Answers pass the
redaction boundary like every body the bot sends.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.redacting_client import slack_safe
from bot.runner import TellRequester
from bot.slack_calls import SlackCallFailed, slack_call

log = logging.getLogger(__name__)

# Characters of a message's text that are read (a command is a few words).
MAX_MESSAGE_CHARS = 4000

_MENTION = re.compile(r"<[@!#][^<>]{0,200}>")
_LINK = re.compile(r"<([^<>|]{1,2000})(?:\|([^<>]{0,2000}))?>")


def message_words(text: str | None) -> str:
    """What a person typed in a message, as a command: mentions dropped, Slack's automatic
    links (`<http://v1.example|v1.example>`) back to what was typed."""
    text = _MENTION.sub(" ", (text or "")[:MAX_MESSAGE_CHARS])
    return _LINK.sub(lambda m: m.group(2) or m.group(1), text)


async def _told(method: str, call: Awaitable[Any]) -> None:
    try:
        await slack_call(method, call)
    except SlackCallFailed as error:
        log.warning("could not answer the requester: %s", error.code)


def ephemeral(client: AsyncWebClient, channel: str, user: str, thread: str | None) -> TellRequester:
    """Tell `user` privately in `channel` (in `thread`); passes the redaction boundary."""

    async def tell(text: str) -> None:
        await _told(
            "chat.postEphemeral",
            client.chat_postEphemeral(
                channel=channel, user=user, text=slack_safe(text), thread_ts=thread
            ),
        )

    return tell


def post_in(client: AsyncWebClient, channel: str, thread: str | None) -> TellRequester:
    """Answer in `channel` (a DM: only the requester sees it)."""

    async def tell(text: str) -> None:
        await _told(
            "chat.postMessage",
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=slack_safe(text),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )

    return tell

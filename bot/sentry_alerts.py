"""Recognising the Sentry app's alert messages in a channel.

Sentry posts ordinary bot messages (no fixed `bot_id`: each workspace's install, and each
self-hosted Sentry's own Slack app, has its own), so the app is identified by the ids an
admin configures (`ALPHA_SENTRY_APP_IDS`: the app id `A...` or the bot id `B...`, matched
against `bot_profile.app_id`, `bot_id` and `bot_profile.id`). Only when none is configured,
a bot profile named "Sentry" counts: a documented fallback, since any app can take that
name; the first alert recognised that way is logged with its ids so they can be pinned.
The issue id comes from the first block's `block_id`, which is JSON such as
`{"issue":4512345678,"rule":12}`; older alerts use attachments, so the fallback is the issue
URL pattern `/issues/<id>/` anywhere in the message. All of it is untrusted input: nothing
here raises on a malformed message; it is simply not an alert.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_ISSUE_URL = re.compile(r"/issues/(\d{1,20})/")
_TITLE = re.compile(r"^\s*\[(?P<project>[^\]\n]{1,100})\]\s*(?P<title>[^\n]*)")
# Edits and deletions of an alert are not new alerts.
_ALERT_SUBTYPES = ("bot_message", "thread_broadcast")
_MAX_STRINGS = 500


@dataclass(frozen=True)
class SentryAlert:
    """A Sentry alert seen in Slack: where it is and which issue it is about."""

    issue_id: str
    channel: str
    ts: str
    thread_ts: str | None
    project: str | None
    title: str | None

    @property
    def reply_thread(self) -> str:
        """The thread to answer in: the alert's own thread (repeats are threaded)."""
        return self.thread_ts or self.ts


def sender_ids(event: Mapping[str, Any]) -> set[str]:
    """The app and bot ids a message event carries (`bot_profile.app_id`, `bot_id`, ...)."""
    profile = event.get("bot_profile")
    profile = profile if isinstance(profile, Mapping) else {}
    found = (profile.get("app_id"), event.get("app_id"), event.get("bot_id"), profile.get("id"))
    return {value for value in found if isinstance(value, str) and value}


def is_sentry_message(event: Mapping[str, Any], app_ids: Sequence[str] = ()) -> bool:
    """Whether a message event was posted by the Sentry app.

    Args:
        event: the Slack `message` event.
        app_ids: when given, only a message from one of these app or bot ids counts;
            otherwise (the documented fallback) a bot profile named "Sentry" does.
    """
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or subtype not in _ALERT_SUBTYPES):
        return False
    profile = event.get("bot_profile")
    if not isinstance(profile, Mapping):
        return False
    if app_ids:
        return bool(sender_ids(event) & set(app_ids))
    named = str(profile.get("name") or "").strip().lower() == "sentry"
    if named and not _pinning_hint_logged:
        _log_pinning_hint(event)
    return named


_pinning_hint_logged = False


def _log_pinning_hint(event: Mapping[str, Any]) -> None:
    """Once per process: say which ids to pin instead of trusting the display name."""
    global _pinning_hint_logged
    _pinning_hint_logged = True
    ids = ", ".join(sorted(i for i in sender_ids(event) if i.isalnum() and len(i) <= 20))
    log.warning(
        "recognised a Sentry alert by its display name only; set ALPHA_SENTRY_APP_IDS=%s so "
        "that no other app named 'Sentry' can start investigations (docs/slack.md)",
        ids or "<the Sentry app id>",
    )


def issue_id_text(issue: object) -> str | None:
    """An untrusted issue id (a JSON int or string) as 1-20 digits, or None."""
    if isinstance(issue, bool) or not isinstance(issue, int | str):
        return None
    text = str(issue)
    return text if text.isdigit() and len(text) <= 20 else None


def _issue_from_block_id(block_id: object) -> str | None:
    if not isinstance(block_id, str) or not block_id.startswith("{"):
        return None
    try:
        data = json.loads(block_id)
    except ValueError:
        return None
    return issue_id_text(data.get("issue") if isinstance(data, dict) else None)


def _strings(value: object, budget: list[int]) -> Iterator[str]:
    """Every string inside a JSON-like value, depth first, at most `_MAX_STRINGS` of them."""
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        budget[0] -= 1
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item, budget)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, budget)


def issue_id_of(event: Mapping[str, Any]) -> str | None:
    """The Sentry issue id an alert message is about, or None."""
    for container in ("blocks", "attachments"):
        items = event.get(container)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, Mapping):
                found = _issue_from_block_id(item.get("block_id"))
                if found:
                    return found
    budget = [_MAX_STRINGS]
    for key in ("text", "attachments", "blocks"):
        for text in _strings(event.get(key), budget):
            match = _ISSUE_URL.search(text)
            if match:
                return match.group(1)
    return None


def parse_alert(event: Mapping[str, Any], app_ids: Sequence[str] = ()) -> SentryAlert | None:
    """A `SentryAlert` if this message event is an alert from the Sentry app, else None."""
    if not is_sentry_message(event, app_ids):
        return None
    issue_id = issue_id_of(event)
    channel, ts = event.get("channel"), event.get("ts")
    if issue_id is None or not isinstance(channel, str) or not isinstance(ts, str):
        return None
    thread_ts = event.get("thread_ts")
    project = title = None
    match = _TITLE.match(str(event.get("text") or ""))
    if match:
        project, title = match.group("project"), match.group("title")
    return SentryAlert(
        issue_id=issue_id,
        channel=channel,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        project=project,
        title=title,
    )

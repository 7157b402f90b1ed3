"""Shape checks on signed Slack request bodies, before Bolt parses them.

A correctly signed request can still carry a body Bolt cannot digest: interactivity JSON
nested 100,000 levels deep (a `RecursionError` inside Bolt), `payload=` that is not JSON, a
JSON `null`, `actions` that are not objects, or an interaction type the app has no listener
for. Each of these gets a 400 and one log line naming the problem (never the body, which is
attacker-controlled), instead of a 500 with a traceback. Bodies of the shapes Slack sends
pass untouched.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

# Interaction types this app has listeners for (its buttons, the real-cause modal).
HANDLED_INTERACTIONS = frozenset({"block_actions", "view_submission"})
# Event API envelope types Bolt answers (the URL check) or dispatches to listeners.
HANDLED_ENVELOPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})


def _json_object(text: str) -> dict[str, Any] | None:
    """`text` parsed as a JSON object, or None (not JSON, too deep, or not an object)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in HANDLED_INTERACTIONS:
        return "unsupported interaction type"
    for key in ("user", "team"):
        if not isinstance(payload.get(key), dict):
            return f"{key} must be an object"
    if kind == "view_submission":
        view = payload.get("view")
        # Bolt reads `view.type` and `view.callback_id` before any listener runs.
        if not isinstance(view, dict) or not all(
            isinstance(view.get(key), str) for key in ("type", "callback_id")
        ):
            return "view must be an object with a type and a callback_id"
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        return "actions must be a non-empty list"
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        return "every action must be an object with an action_id"
    return None


def _form_problem(text: str) -> str | None:
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=100)
    except ValueError:
        return "form body has too many fields"
    if "payload" in form:
        values = form["payload"]
        if len(values) != 1:
            return "payload must appear once"
        payload = _json_object(values[0])
        if payload is None:
            return "payload is not a JSON object"
        return _interaction_problem(payload)
    if "command" in form:
        if any(len(form.get(key, ())) > 1 for key in ("command", "text", "trigger_id")):
            return "command fields must appear once"
        return None
    # Slack's SSL check (`ssl_check=1`) and other form posts: Bolt answers them itself.
    return None


def _json_problem(text: str) -> str | None:
    envelope = _json_object(text)
    if envelope is None:
        return "body is not a JSON object"
    kind = envelope.get("type")
    if not isinstance(kind, str) or kind not in HANDLED_ENVELOPES:
        return "unsupported event envelope type"
    if kind == "event_callback" and not isinstance(envelope.get("event"), dict):
        return "event must be an object"
    return None


def body_problem(content_type: str, text: str) -> str | None:
    """Why a signed Slack request body must be refused with a 400, or None to dispatch it.

    Args:
        content_type: the request's media type (`application/json`, form-encoded).
        text: the body, already decoded as UTF-8.
    """
    if content_type == "application/json":
        return _json_problem(text)
    if content_type in ("application/x-www-form-urlencoded", ""):
        return _form_problem(text)
    return "unsupported content type"

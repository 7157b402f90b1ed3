"""Malformed but correctly signed requests get a 400 and one clean log line, never a 500."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from bot.inbound import body_problem
from tests.bot.harness import BotServer, FakeSources, ScriptedEngine, make_bot
from tests.fakes.slack_server import FakeSlack

FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 100_000 + "]" * 100_000


def _interaction(payload: str) -> str:
    return urlencode({"payload": payload})


MALFORMED = {
    "payload nested 100k deep": (_interaction(DEEP), FORM),
    "payload object nested 50k deep": (_interaction('{"a":' * 50_000 + "1" + "}" * 50_000), FORM),
    "payload not JSON": (_interaction("{type: block_actions"), FORM),
    "payload null": (_interaction("null"), FORM),
    "actions are strings": (
        _interaction(json.dumps({"type": "block_actions", "actions": ["x"], "user": {}})),
        FORM,
    ),
    "actions not a list": (
        _interaction(json.dumps({"type": "block_actions", "actions": {"x": 1}, "user": {}})),
        FORM,
    ),
    "view_submission": (
        _interaction(json.dumps({"type": "view_submission", "user": {"id": "U1"}})),
        FORM,
    ),
    "view_submission without the view's type": (
        _interaction(
            json.dumps(
                {
                    "type": "view_submission",
                    "user": {"id": "U1"},
                    "team": {"id": "T1"},
                    "view": {"callback_id": "alpha_feedback_modal"},
                }
            )
        ),
        FORM,
    ),
    "payload twice": (urlencode([("payload", "{}"), ("payload", "{}")]), FORM),
    "event body nested 100k deep": (DEEP, "application/json"),
    "event body not JSON": ("{event_callback", "application/json"),
    "event body a list": ("[1, 2]", "application/json"),
    "event without an event object": (
        json.dumps({"type": "event_callback", "event_id": "Ev1", "event": "x"}),
        "application/json",
    ),
    "unknown envelope": (json.dumps({"type": "surprise"}), "application/json"),
    "unsupported content type": ("<xml/>", "text/xml"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_signed_bodies_get_400_and_a_clean_log_line(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each malformed body is refused with 400, logged once without a traceback, runs nothing."""
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.DEBUG)
    sources, engine = FakeSources(), ScriptedEngine()
    async with FakeSlack() as slack, BotServer(make_bot(slack, engine, sources)) as server:
        status, _ = await server.post_signed(body, content_type)
    assert status == 400
    refusals = [r for r in caplog.records if "refused a malformed Slack request" in r.message]
    assert len(refusals) == 1
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text
    assert all(len(r.getMessage()) < 300 for r in caplog.records)
    assert sources.calls == [] and engine.runs == 0


def test_the_shapes_slack_sends_pass_the_checks() -> None:
    """Commands, button clicks, events, the URL check and the SSL check are all dispatched."""
    command = urlencode({"command": "/alpha", "text": "help", "trigger_id": "t"})
    click = _interaction(
        json.dumps(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "team": {"id": "T1"},
                "actions": [{"action_id": "alpha_rerun", "value": "{}"}],
            }
        )
    )
    event = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}})
    check = json.dumps({"type": "url_verification", "challenge": "c"})
    assert body_problem(FORM, command) is None
    assert body_problem(FORM, click) is None
    assert body_problem("application/json", event) is None
    assert body_problem("application/json", check) is None
    assert body_problem(FORM, "ssl_check=1&token=x") is None

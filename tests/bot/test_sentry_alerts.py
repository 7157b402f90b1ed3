"""Recognising Sentry's alert messages, and parsing `/alpha` commands (property tests)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.handlers import parse_command
from bot.sentry_alerts import issue_id_of, parse_alert

SENTRY = {"id": "B1", "app_id": "A0SENTRY", "name": "Sentry"}


def _alert(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": "CALERT",
        "ts": "1700000100.000100",
        "bot_id": "B1",
        "bot_profile": SENTRY,
        "text": "[checkout-api] DatabaseError: pool exhausted",
        "blocks": [{"type": "section", "block_id": '{"issue":4512345678,"rule":12}'}],
    }
    event.update(overrides)
    return event


def test_modern_alert_block_id_gives_issue_project_and_title() -> None:
    """The first block's JSON block_id carries the issue; the text gives project and title."""
    alert = parse_alert(_alert())
    assert alert is not None
    assert (alert.issue_id, alert.project, alert.title) == (
        "4512345678",
        "checkout-api",
        "DatabaseError: pool exhausted",
    )
    assert alert.reply_thread == "1700000100.000100"


def test_threaded_broadcast_repeat_is_recognised_and_answers_in_its_thread() -> None:
    """A `thread_broadcast` repeat is an alert whose reply thread is the original."""
    alert = parse_alert(_alert(subtype="thread_broadcast", ts="2.0", thread_ts="1.0"))
    assert alert is not None and alert.reply_thread == "1.0"


def test_legacy_attachment_alert_falls_back_to_the_issue_url() -> None:
    """Older alerts with attachments are recognised through `/issues/<id>/` in a link."""
    event = _alert(
        blocks=None,
        text="",
        attachments=[
            {
                "title": "KeyError",
                "title_link": "https://acme.sentry.io/issues/987654/?referrer=slack",
            }
        ],
    )
    assert issue_id_of(event) == "987654"
    alert = parse_alert(event)
    assert alert is not None and alert.issue_id == "987654"


def test_messages_not_from_the_sentry_app_are_ignored() -> None:
    """Humans, other bots, edits and deletions are not alerts."""
    assert parse_alert(_alert(bot_profile=None)) is None
    assert parse_alert(_alert(bot_profile={"name": "Datadog", "app_id": "A9"})) is None
    assert parse_alert(_alert(subtype="message_changed")) is None
    assert parse_alert(_alert(subtype="message_deleted")) is None
    assert parse_alert(_alert(blocks=[], text="no issue here")) is None


def test_configured_app_ids_are_required_when_set() -> None:
    """With ALPHA_SENTRY_APP_IDS set, a bot merely named "Sentry" is not trusted."""
    impostor = _alert(bot_profile={"name": "Sentry", "app_id": "AFAKE"})
    assert parse_alert(impostor, ["A0SENTRY"]) is None
    assert parse_alert(_alert(), ["A0SENTRY"]) is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "subtype",
                "bot_profile",
                "blocks",
                "attachments",
                "text",
                "channel",
                "ts",
                "thread_ts",
            ]
        ),
        json_values,
    )
)
def test_parse_alert_never_raises_on_arbitrary_events(overrides: dict[str, Any]) -> None:
    """Whatever shape an event has, parsing returns an alert or None, never an exception."""
    alert = parse_alert(_alert(**overrides))
    assert alert is None or alert.issue_id.isdigit()


@given(st.integers(min_value=1, max_value=10**18))
def test_issue_id_roundtrips_through_block_id(issue: int) -> None:
    """Any positive issue id written in the block_id JSON is read back exactly."""
    event = _alert(
        blocks=[{"type": "section", "block_id": json.dumps({"issue": issue, "rule": 1})}]
    )
    assert issue_id_of(event) == str(issue)


@given(st.text(max_size=300))
def test_parse_command_never_raises_and_usage_names_a_problem(text: str) -> None:
    """Any command text parses; anything but a valid investigate/help gets a problem message."""
    command = parse_command(text)
    if command.action == "usage":
        assert command.problem
    if command.action == "investigate":
        assert command.deployment_id and command.deployment_id in text


@given(st.from_regex(r"[A-Za-z0-9][\w.:-]{0,60}", fullmatch=True).filter(lambda s: ".." not in s))
def test_valid_deployment_ids_are_accepted(deployment_id: str) -> None:
    """`investigate <id>` yields exactly that id for ids of the documented alphabet."""
    command = parse_command(f"  investigate   {deployment_id} ")
    assert command.action == "investigate" and command.deployment_id == deployment_id

"""Socket Mode: the real slack_sdk Socket Mode client against the fake Slack's websocket."""

from __future__ import annotations

import asyncio
import json

from bot.__main__ import serve_socket
from tests.bot.harness import (
    FakeSources,
    ScriptedEngine,
    make_bot,
    ranked,
    sentry_alert,
    wait_finished,
    wait_for,
)
from tests.fakes.slack_server import FakeSlack


def _alert_envelope(envelope_id: str, event_id: str) -> dict[str, object]:
    event = sentry_alert(42, ts="1700000100.000100", text="[checkout-api] KeyError")
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "payload": {
            "type": "event_callback",
            "team_id": "T0001",
            "api_app_id": "AALPHA",
            "event_id": event_id,
            "event": event,
        },
    }


async def test_socket_mode_handles_a_command_and_deduplicates_events() -> None:
    """Over Socket Mode a command is acked and run; a redelivered alert event runs once."""
    sources = FakeSources()
    engine = ScriptedEngine(hypotheses=[ranked("Pool lowered", 1)])
    async with FakeSlack() as slack:
        bot = make_bot(
            slack,
            engine,
            sources,
            slack_mode="socket",
            slack_app_token="xapp-1-A0001-1-abcdef",
            slack_signing_secret="",
            alert_channels="CALERT",
        )
        stop = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(serve_socket(bot, stop))
            await wait_for(lambda: slack.socket_connections == 1)
            await slack.socket_outbox.put(
                {
                    "envelope_id": "env-cmd",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": {
                        "command": "/alpha",
                        "text": "investigate deploy-7",
                        "user_id": "U1",
                        "channel_id": "C1",
                        "team_id": "T0001",
                        "response_url": slack.response_url(),
                    },
                }
            )
            for envelope_id in ("env-ev1", "env-ev2"):
                await slack.socket_outbox.put(_alert_envelope(envelope_id, "EvSocket1"))
            await wait_for(lambda: {"env-cmd", "env-ev1", "env-ev2"} <= _acked(slack))
            await wait_finished(bot, runs=2)
            stop.set()
        ack = next(m for m in slack.socket_received if m.get("envelope_id") == "env-cmd")
        assert "deploy-7" in ack["payload"]["text"]
        assert sorted(sources.calls) == [("deployment", "deploy-7"), ("sentry_issue", "42")]
        assert "Pool lowered" in json.dumps(slack.of("chat.update")[-1].body)


def _acked(slack: FakeSlack) -> set[str]:
    return {str(m.get("envelope_id")) for m in slack.socket_received}

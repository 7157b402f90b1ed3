"""`python -m bot` as a real process: start-up checks, exit codes and signals in every state."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp
import pytest

from tests.bot.harness import wait_for
from tests.bot.processes import BotProcess, free_port, http_env, socket_env
from tests.fakes.slack_server import FakeSlack, Scripted, server_error

# Generous bounds: the property is "stops", a hang is the failure. A start-up on a loaded
# machine (imports at a fraction of a core) takes several seconds of the bound.
STOP_WITHIN_S = 60.0


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "configuration error" in line]


async def test_socket_mode_with_a_refused_app_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """A bad app token ends the process at once: status 2, one line naming it, no traceback."""
    async with FakeSlack() as slack:
        slack.outage(
            "apps.connections.open", 1000, Scripted(body={"ok": False, "error": "invalid_auth"})
        )
        async with BotProcess(socket_env(slack, tmp_path), tmp_path) as bot:
            assert await bot.exit_code(STOP_WITHIN_S) == 2
        assert _error_lines(bot.stderr) == [
            "alpha bot: configuration error: SLACK_APP_TOKEN was refused by Slack (invalid_auth)"
        ]
        assert "Traceback" not in bot.stderr
        assert len(slack.of("apps.connections.open")) == 1
        assert slack.socket_connections == 0


async def test_a_refused_bot_token_exits_2_before_listening(tmp_path: Path) -> None:
    """`auth.test` answering `invalid_auth` at start-up: status 2, one line, nothing served."""
    async with FakeSlack() as slack:
        slack.outage("auth.test", 1000, Scripted(body={"ok": False, "error": "invalid_auth"}))
        async with BotProcess(http_env(slack, tmp_path), tmp_path) as bot:
            assert await bot.exit_code(STOP_WITHIN_S) == 2
        assert _error_lines(bot.stderr) == [
            "alpha bot: configuration error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"
        ]
        assert "Traceback" not in bot.stderr and "listening" not in bot.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_socket_mode_stops_on_a_signal_while_connecting(
    sig: signal.Signals, tmp_path: Path
) -> None:
    """Stuck asking Slack for a Socket Mode URL (a 60 s answer), a signal still stops it."""
    async with FakeSlack() as slack:
        slack.delays["apps.connections.open"] = 60
        async with BotProcess(socket_env(slack, tmp_path), tmp_path) as bot:
            await wait_for(lambda: bool(slack.of("apps.connections.open")), timeout=30)
            bot.send(sig)
            assert await bot.exit_code(STOP_WITHIN_S) == 0
        assert "Traceback" not in bot.stderr


async def test_socket_mode_stops_on_a_signal_while_reconnecting(tmp_path: Path) -> None:
    """While slack_sdk keeps retrying a dead websocket URL, SIGTERM still stops the bot."""
    async with FakeSlack() as slack:
        dead = f"ws://127.0.0.1:{free_port()}/socket"
        slack.outage("apps.connections.open", 1000, Scripted(body={"ok": True, "url": dead}))
        async with BotProcess(socket_env(slack, tmp_path), tmp_path) as bot:
            await bot.wait_for_log("Failed to connect")
            bot.send(signal.SIGTERM)
            code = await bot.exit_code(STOP_WITHIN_S)
            assert code == 0, bot.stderr
        assert slack.socket_connections == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_socket_mode_stops_on_a_signal_while_running(
    sig: signal.Signals, tmp_path: Path
) -> None:
    """Connected and serving, the bot stops on SIGTERM or SIGINT and says so."""
    async with FakeSlack() as slack:
        async with BotProcess(socket_env(slack, tmp_path), tmp_path) as bot:
            await bot.wait_for_log("connected (Socket Mode)")
            assert slack.socket_connections == 1
            bot.send(sig)
            assert await bot.exit_code(STOP_WITHIN_S) == 0
        assert "stopped" in bot.stderr and "Traceback" not in bot.stderr


async def test_http_mode_stops_on_a_signal_while_slack_is_unreachable(tmp_path: Path) -> None:
    """With `auth.test` failing at start-up the bot keeps trying, and SIGTERM stops it."""
    async with FakeSlack() as slack:
        slack.outage("auth.test", 1000, server_error(503))
        async with BotProcess(http_env(slack, tmp_path), tmp_path) as bot:
            await bot.wait_for_log("Slack not reachable")
            bot.send(signal.SIGTERM)
            assert await bot.exit_code(STOP_WITHIN_S) == 0
        assert "listening" not in bot.stderr


async def test_http_mode_listens_on_alpha_http_host_and_logs_its_sources(tmp_path: Path) -> None:
    """ALPHA_HTTP_HOST and PORT decide the address; start-up says no live source is set up."""
    async with FakeSlack() as slack:
        env = http_env(slack, tmp_path)
        async with BotProcess(env, tmp_path) as bot:
            await bot.wait_for_log("listening on")
            assert f"listening on 127.0.0.1:{bot.port}/slack/events (HTTP mode)" in bot.stderr
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
            ):
                assert response.status == 200
            bot.send(signal.SIGINT)
            assert await bot.exit_code(STOP_WITHIN_S) == 0
        assert "no live source configured" in bot.stderr
        assert len(slack.of("auth.test")) == 1

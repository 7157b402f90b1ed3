"""Running `python -m bot` as a real process against the loopback fakes (a test helper).

The process gets a bare environment (no `.env`: it runs in a temporary directory), the fake
Slack's URL as `SLACK_API_URL`, and whatever else a test adds. Its stderr is collected as it
comes so a test can wait for a log line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.bot.harness import BOT_TOKEN, SECRET
from tests.fakes.slack_server import FakeSlack


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(slack: FakeSlack, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process: tokens, the fake Slack, a private dedup file."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "ALPHA_DEDUP_PATH": str(home / "dedup.sqlite3"),
        "ALPHA_HTTP_HOST": "127.0.0.1",
        "PORT": str(free_port()),
    }
    env.update(extra)
    return env


def http_env(slack: FakeSlack, home: Path, **extra: str) -> dict[str, str]:
    """`bot_env` for HTTP mode."""
    return bot_env(slack, home, SLACK_SIGNING_SECRET=SECRET, ALPHA_SLACK_MODE="http", **extra)


def socket_env(slack: FakeSlack, home: Path, **extra: str) -> dict[str, str]:
    """`bot_env` for Socket Mode."""
    return bot_env(slack, home, SLACK_APP_TOKEN="xapp-1-A0001-1-abcdef", **extra)


class BotProcess:
    """`python -m bot` in a child process (use `async with`; it is killed if still running)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.stderr = ""
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The HTTP port it was given."""
        return int(self.env["PORT"])

    async def __aenter__(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            self.stderr += line.decode("utf-8", "replace")

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None and self._reader is not None
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self._reader

    async def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` appears in its stderr."""
        async with asyncio.timeout(timeout):
            while text not in self.stderr:
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(f"bot exited ({self.process.returncode}):\n{self.stderr}")
                await asyncio.sleep(0.05)

    async def exit_code(self, timeout: float) -> int:
        """Its exit status, waiting at most `timeout` seconds for it to end."""
        assert self.process is not None and self._reader is not None
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await self._reader
        return code

    def send(self, sig: signal.Signals) -> None:
        """Send it a signal."""
        assert self.process is not None
        self.process.send_signal(sig)

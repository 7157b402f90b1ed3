"""A bot process for the multi-process tests: `python -m tests.bot.bot_process DB_URL SLACK_URL`.

The real Bolt app and aiohttp server (HTTP mode, the harness's signing secret) with the
scripted engine and counting sources, recording into the history store at DB_URL. It prints
`PORT <n>` once listening; on SIGTERM it waits for its investigations, prints
`STARTED <n>` (how many it started) and exits.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from tests.bot.harness import BotServer, FakeSources, ScriptedEngine, make_bot, ranked
from tests.fakes.slack_server import FakeSlack


async def main(database_url: str, slack_url: str) -> None:
    from sre.history.store import open_store

    slack = FakeSlack()
    slack.base_url = slack_url  # the test's fake Slack, not one of this process
    engine = ScriptedEngine(hypotheses=[ranked("Pool shrunk", 1)])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with open_store(database_url) as store:
        bot = make_bot(slack, engine, FakeSources(), store=store, alert_channels=("CALERT",))
        async with BotServer(bot) as server:
            print(f"PORT {server.url.rsplit(':', 1)[1].split('/', 1)[0]}", flush=True)
            await stop.wait()
            await bot.manager.wait_idle()
            print(f"STARTED {bot.manager.started}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

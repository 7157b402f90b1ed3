"""Two bot processes on one PostgreSQL database: one alert event delivered to both, one run."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.bot.harness import SECRET, sentry_alert, wait_for
from tests.fakes.slack_server import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


async def _start(database_url: str, slack: FakeSlack) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bot.bot_process",
        database_url,
        slack.base_url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    async with asyncio.timeout(60):
        line = (await process.stdout.readline()).decode()
    assert line.startswith("PORT "), line
    return process, int(line.split()[1])


async def _deliver(session: aiohttp.ClientSession, port: int, body: str) -> int:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(signature),
    }
    url = f"http://127.0.0.1:{port}/slack/events"
    async with session.post(url, data=body.encode(), headers=headers) as response:
        return response.status


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.terminate()
    assert process.stdout is not None
    async with asyncio.timeout(60):
        out = (await process.stdout.read()).decode()
        await process.wait()
    return int(next(line for line in out.splitlines() if line.startswith("STARTED")).split()[1])


async def test_one_alert_event_delivered_to_two_processes_runs_once(fresh_postgres: str) -> None:
    """The same Sentry alert event, sent to both processes at once: one investigation, one run."""
    from sre.history.store import open_store

    async with open_store(fresh_postgres):  # migrated once, before the two start
        pass
    async with FakeSlack() as slack:
        first, first_port = await _start(fresh_postgres, slack)
        second, second_port = await _start(fresh_postgres, slack)
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0001",
                "api_app_id": "AALPHA",
                "type": "event_callback",
                "event_id": "Ev0ALERT",
                "event_time": int(time.time()),
                "event": sentry_alert(4512345678, ts="1700000000.000100"),
            }
        )
        async with aiohttp.ClientSession() as session:
            statuses = await asyncio.gather(
                _deliver(session, first_port, body), _deliver(session, second_port, body)
            )
        assert statuses == [200, 200]
        await wait_for(lambda: len(slack.of("chat.getPermalink")) >= 1, timeout=30)
        started = [await _stop(first), await _stop(second)]
        posts = [c for c in slack.of("chat.postMessage") if "investigating" in c.body["text"]]
    assert sorted(started) == [0, 1]
    assert len(posts) == 1
    async with open_store(fresh_postgres) as store:
        runs = await store.history()
    assert [(r.trigger, r.deployment_id) for r in runs] == [("alert", "sentry-4512345678")]

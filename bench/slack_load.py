"""Load benchmark of the Slack bot: 50 concurrent `/alpha investigate` over HTTP.

Everything is local: the bot's real aiohttp app on a loopback port, a fake Slack Web API
(`tests/fakes/slack_server.py`) that timestamps every `chat.update` on arrival, and the SRE
engine in LLM mode, every agent calling a fake OpenAI-compatible endpoint
(`tests/fakes/llm_server.py`) that answers after `--llm-delay` seconds (default 1 s).

Prints: ack latency p50/p99 (target p99 < 300 ms), `chat.update` calls per investigation,
the peak per-second rate of updates to one message (target <= 1), and the total time.

    python bench/slack_load.py [--n 50] [--llm-delay 1.0] [--max-concurrent 4]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alpha.llm.settings import LLMSettings  # noqa: E402
from bot.app import create_bot, create_web_app  # noqa: E402
from bot.runner import Services  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from sre.agents.roster import AGENT_NAMES  # noqa: E402
from sre.integrations.assembler import Assembly  # noqa: E402
from sre.scenarios import load_bundled  # noqa: E402
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply  # noqa: E402
from tests.fakes.loopback import serve  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"


async def _no_wait(seconds: float) -> None:
    """The LLM client's wait between retries (never reached: the fake always answers)."""


def _echo_candidates(request: RecordedRequest) -> Reply:
    """A model that confirms the first candidate it was shown, citing its first signal."""
    shown = re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)
    hypothesis = {
        "label": "Model-confirmed hypothesis",
        "description": "Confirmed from the evidence shown.",
        "category": "unknown",
        "suspects": [],
        "confidence": 0.5,
        "severity": "medium",
        "supporting_signals": shown[:1] or ["sig_001"],
    }
    return Reply.json({"hypotheses": [hypothesis]})


def _slow(request: RecordedRequest, delay: float) -> Reply:
    return Reply.slow(delay, _echo_candidates(request))


def _engine(llm_url: str) -> object:
    """The SRE engine in LLM mode, every agent's model behind the fake endpoint."""
    from sre.engine import build_runtime
    from sre.llm.mode import LLMMode
    from sre.llm.settings import ReasoningSettings

    llm = LLMSettings(_env_file=None, base_url=llm_url, timeout=10.0, retries=0)  # type: ignore[call-arg]
    reasoning = ReasoningSettings(_env_file=None)  # type: ignore[call-arg]
    runtime = build_runtime(llm=LLMMode.from_settings(llm, reasoning, sleep=_no_wait))

    async def engine(incident, *, subscribers, gaps):  # type: ignore[no-untyped-def]
        return await runtime.execute(incident, subscribers=subscribers, gaps=gaps)

    return engine


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _peak_per_second(times: list[float]) -> int:
    """Most updates of one message inside any 1-second window (arrival times)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _run(n: int, llm_delay: float, max_concurrent: int) -> None:
    incident = load_bundled("orders-n-plus-one").incident
    names = list(AGENT_NAMES)

    async def assemble(deployment_id: str) -> Assembly:
        return Assembly(incident.model_copy(update={"deployment_id": deployment_id}), [], None)

    async with FakeSlack() as slack, FakeLLMServer(default=lambda r: _slow(r, llm_delay)) as llm:
        engine = _engine(llm.base_url)
        settings = BotSettings(  # type: ignore[call-arg]
            _env_file=None,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url,
            slack_mode="http",
            max_concurrent=max_concurrent,
        )
        services = Services(
            assemble_deployment=assemble,
            assemble_sentry_issue=assemble,
            engine=engine,  # type: ignore[arg-type]
            live_sources=("payload file",),
            agent_names=names,
            update_interval=settings.update_interval_s,
        )
        bot = create_bot(settings, services)
        runner, root_url = await serve(create_web_app(bot))
        url = f"{root_url}/slack/events"
        verifier = SignatureVerifier(SECRET)

        async def command(session: aiohttp.ClientSession, i: int) -> float:
            body = urlencode(
                {
                    "command": "/alpha",
                    "text": f"investigate bench-{i}",
                    "user_id": "U1",
                    "channel_id": "C1",
                    "response_url": slack.response_url(),
                }
            )
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": str(verifier.generate_signature(timestamp=ts, body=body)),
            }
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            return (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            acks = await asyncio.gather(*(command(session, i) for i in range(n)))
        await asyncio.sleep(0.05)
        await bot.manager.wait_idle()
        total = time.perf_counter() - started
        await runner.cleanup()

    per_message: dict[str, list[float]] = defaultdict(list)
    for call in slack.of("chat.update"):
        per_message[call.body["ts"]].append(call.at)
    counts = [len(v) for v in per_message.values()]
    peak = max(_peak_per_second(v) for v in per_message.values())
    finals = sum(1 for s in bot.runner.publisher_stats if s.final_landed)
    rate_limited = sum(s.rate_limited for s in bot.runner.publisher_stats)
    p50, p99 = _pct(acks, 0.5), _pct(acks, 0.99)

    print(
        f"engine: sre.engine in LLM mode ({llm.request_count} model calls); {n} commands; "
        f"model delay {llm_delay:.1f} s; "
        f"ALPHA_MAX_CONCURRENT={max_concurrent}; update interval {settings.update_interval_s} s"
    )
    print(f"{'figure':<42}{'measured':>12}{'target':>10}{'ratio':>8}")
    rows = [
        ("ack latency p50 (ms)", p50, None),
        ("ack latency p99 (ms)", p99, 300.0),
        ("chat.update per investigation (median)", statistics.median(counts), None),
        ("chat.update per investigation (max)", max(counts), None),
        ("peak updates/s to one message", peak, 1.0),
        ("final states landed", finals, float(n)),
        ("429s from Slack", rate_limited, None),
        ("total time (s)", total, None),
    ]
    for name, value, target in rows:
        tgt = f"{target:g}" if target is not None else "-"
        ratio = f"{value / target:.2f}" if target else "-"
        print(f"{name:<42}{value:>12.1f}{tgt:>10}{ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--llm-delay", type=float, default=1.0)
    parser.add_argument("--max-concurrent", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(_run(args.n, args.llm_delay, args.max_concurrent))


if __name__ == "__main__":
    main()

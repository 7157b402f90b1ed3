"""Load benchmark of the Slack bot over HTTP, in three parts (`--part load|heavy|outage`).

Everything is local: the bot's real aiohttp app on a loopback port, a fake Slack Web API
(`tests/fakes/slack_server.py`) that timestamps every call on arrival.

- **load**: 50 concurrent `/alpha investigate`, wired as in production (identity checked at
  start, the SRE engine in LLM mode on the worker thread), every agent calling a fake
  OpenAI-compatible endpoint (`tests/fakes/llm_server.py`) that answers after
  `--llm-delay` seconds. Prints ack latency p50/p99 (target p99 < 300 ms), `chat.update`
  calls per investigation, the peak per-second rate of updates to one message (target <= 1).
- **heavy**: one investigation of a `--big-lines` payload (1,000,000 generated lines, the
  deterministic SRE engine) while `/alpha help` is sent every 50 ms; ack p50/p99/max for
  the engine on the bot's own loop (how the bot ran before) and on the worker thread
  (`bot.worker`, how it runs now), side by side. Target p99 < 300 ms.
- **outage**: `chat.update` answers an HTML 500 page for `--outage` seconds (default 60) from
  the moment the command is sent; prints when the final state landed after the outage ended
  and how many final states and fallback messages were posted (goal: lands, once).

    python bench/slack_load.py [--part all] [--n 50] [--llm-delay 1.0] [--max-concurrent 4]
                               [--big-lines 1000000] [--outage 60]
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
sys.path.insert(0, str(ROOT / "bench"))

from alpha.llm.settings import LLMSettings  # noqa: E402
from bot.app import Bot, create_bot, create_web_app  # noqa: E402
from bot.runner import Services  # noqa: E402
from bot.services import on_worker  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from bot.worker import Worker  # noqa: E402
from sre.agents.roster import AGENT_NAMES  # noqa: E402
from sre.integrations.assembler import Assembly, SourceProgress  # noqa: E402
from sre.scenarios import load_bundled  # noqa: E402
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply  # noqa: E402
from tests.fakes.loopback import serve  # noqa: E402
from tests.fakes.slack_server import FakeSlack, server_error  # noqa: E402

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


def _settings(slack: FakeSlack, **values: object) -> BotSettings:
    return BotSettings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        slack_mode="http",
        dedup_path=":memory:",
        **values,
    )


async def _send(session: aiohttp.ClientSession, url: str, text: str, response_url: str) -> float:
    """Send one signed `/alpha <text>`; return the milliseconds until its ack arrived."""
    body = urlencode(
        {
            "command": "/alpha",
            "text": text,
            "user_id": "U1",
            "channel_id": "C1",
            "response_url": response_url,
        }
    )
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(
            SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        ),
    }
    started = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


async def _run(n: int, llm_delay: float, max_concurrent: int) -> None:
    incident = load_bundled("orders-n-plus-one").incident
    names = list(AGENT_NAMES)

    async def assemble(deployment_id: str, *, progress: SourceProgress) -> Assembly:
        return Assembly(incident.model_copy(update={"deployment_id": deployment_id}), [], None)

    async with FakeSlack() as slack, FakeLLMServer(default=lambda r: _slow(r, llm_delay)) as llm:
        engine = _engine(llm.base_url)
        settings = _settings(slack, max_concurrent=max_concurrent)
        services = Services(
            assemble_deployment=assemble,
            assemble_sentry_issue=assemble,
            engine=engine,  # type: ignore[arg-type]
            live_sources=("payload file",),
            agent_names=names,
            update_interval=settings.update_interval_s,
        )
        # Wired as in production: identity checked first, the engine on the worker thread.
        with Worker() as worker:
            bot = create_bot(settings, on_worker(services, worker))
            await bot.verify_token()
            runner, root_url = await serve(create_web_app(bot))
            url = f"{root_url}/slack/events"
            started = time.perf_counter()
            async with aiohttp.ClientSession() as session:
                acks = await asyncio.gather(
                    *(
                        _send(session, url, f"investigate bench-{i}", slack.response_url())
                        for i in range(n)
                    )
                )
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


def _big_incident(lines: int) -> object:
    """The incident_b payload with `lines` generated log lines (as `bench/investigate.py`)."""
    from extract_throughput import DEPLOY, generate

    from alpha.schemas import IncidentInput

    incident = load_bundled("incident_b").incident.model_dump(mode="json")
    incident["logs"], _ = generate(lines)
    incident["deployed_at"] = DEPLOY.isoformat()
    incident["incident_started_at"] = None
    return IncidentInput.model_validate(incident)


async def _heavy_once(incident: object, worker: Worker | None) -> tuple[list[float], float]:
    """Acks of `/alpha help` every 50 ms while one big investigation runs; and its duration."""
    from sre.engine import build_runtime

    runtime = build_runtime()

    async def assemble(deployment_id: str, *, progress: SourceProgress) -> Assembly:
        return Assembly(incident, [], None)  # type: ignore[arg-type]

    async def engine(incident, *, subscribers, gaps):  # type: ignore[no-untyped-def]
        return await runtime.execute(incident, subscribers=subscribers, gaps=gaps)

    async with FakeSlack() as slack:
        settings = _settings(slack)
        services = Services(
            assemble_deployment=assemble,
            assemble_sentry_issue=assemble,
            engine=engine,
            live_sources=("payload file",),
            agent_names=list(AGENT_NAMES),
            update_interval=settings.update_interval_s,
        )
        if worker is not None:
            services = on_worker(services, worker)
        bot = create_bot(settings, services)
        await bot.verify_token()
        runner, root_url = await serve(create_web_app(bot))
        url = f"{root_url}/slack/events"
        acks: list[float] = []
        async with aiohttp.ClientSession() as session:
            await _send(session, url, "investigate big", slack.response_url())
            started = time.perf_counter()
            while bot.manager.started == 0 or bot.manager.active > 0:
                acks.append(await _send(session, url, "help", slack.response_url()))
                await asyncio.sleep(0.05)
            duration = time.perf_counter() - started
        await runner.cleanup()
    return acks, duration


async def bench_heavy(lines: int) -> None:
    """Ack latency while a big payload is investigated: bot loop vs worker thread."""
    incident = _big_incident(lines)
    print(f"\nheavy: /alpha help every 50 ms while a {lines:,}-line payload is investigated")
    print(f"{'engine placement':<34}{'acks':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'run s':>8}")
    rows = []
    for label, use_worker in (("bot's own loop (before)", False), ("worker thread (now)", True)):
        if use_worker:
            with Worker() as worker:
                acks, duration = await _heavy_once(incident, worker)
        else:
            acks, duration = await _heavy_once(incident, None)
        rows.append(_pct(acks, 0.99))
        print(
            f"{label:<34}{len(acks):>6}{_pct(acks, 0.5):>9.1f}{_pct(acks, 0.99):>9.1f}"
            f"{max(acks):>9.1f}{duration:>8.1f}"
        )
    print(f"p99 ratio before/now: {rows[0] / rows[1]:.1f}x; target p99 < 300 ms")


async def bench_outage(seconds: float) -> None:
    """Time for the final state to land after `seconds` of chat.update answering HTTP 500."""
    incident = load_bundled("incident_b").incident
    from sre.engine import build_runtime

    runtime = build_runtime()

    async def assemble(deployment_id: str, *, progress: SourceProgress) -> Assembly:
        return Assembly(incident, [], None)

    async def engine(incident, *, subscribers, gaps):  # type: ignore[no-untyped-def]
        return await runtime.execute(incident, subscribers=subscribers, gaps=gaps)

    async with FakeSlack() as slack:
        settings = _settings(slack)
        bot: Bot = create_bot(
            settings,
            Services(
                assemble_deployment=assemble,
                assemble_sentry_issue=assemble,
                engine=engine,
                live_sources=("payload file",),
                agent_names=list(AGENT_NAMES),
                update_interval=settings.update_interval_s,
            ),
        )
        await bot.verify_token()
        runner, root_url = await serve(create_web_app(bot))
        url = f"{root_url}/slack/events"
        slack.outage("chat.update", seconds, server_error(500))
        outage_end = slack.clock() + seconds
        async with aiohttp.ClientSession() as session:
            await _send(session, url, "investigate outage", slack.response_url())
        await asyncio.sleep(0.05)
        await bot.manager.wait_idle()
        await runner.cleanup()
    updates = slack.of("chat.update")
    landed = [c for c in updates if c.at >= outage_end and "alpha_rerun" in str(c.body)]
    refused = [c for c in updates if c.at < outage_end]
    fallbacks = [
        c for c in slack.of("chat.postMessage") if "could not update" in str(c.body.get("text"))
    ]
    stats = bot.runner.publisher_stats[0]
    after = landed[0].at - outage_end if landed else float("nan")
    print(f"\noutage: chat.update answers an HTML 500 for {seconds:g} s")
    print(f"{'figure':<46}{'measured':>10}")
    for name, value in (
        ("chat.update calls refused during the outage", len(refused)),
        ("final state landed (s after the outage ended)", after),
        ("final states landed", len(landed)),
        ("fallback messages posted", len(fallbacks)),
        ("publisher says final landed", float(stats.final_landed)),
    ):
        print(f"{name:<46}{value:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["all", "load", "heavy", "outage"], default="all")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--llm-delay", type=float, default=1.0)
    parser.add_argument("--max-concurrent", type=int, default=4)
    parser.add_argument("--big-lines", type=int, default=1_000_000)
    parser.add_argument("--outage", type=float, default=60.0)
    args = parser.parse_args()
    if args.part in ("all", "load"):
        asyncio.run(_run(args.n, args.llm_delay, args.max_concurrent))
    if args.part in ("all", "heavy"):
        asyncio.run(bench_heavy(args.big_lines))
    if args.part in ("all", "outage"):
        asyncio.run(bench_outage(args.outage))


if __name__ == "__main__":
    main()

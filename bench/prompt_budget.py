"""Prompt budget and LLM-mode latency.

1. For each bundled scenario and for a generated 1,000,000-line payload: the estimated
   prompt tokens of each agent's prompt (`sre.llm.prompt.build_prompt`, the default 8,000
   budget) and of the whole investigation, next to the naive size (the same instructions
   plus every piece of evidence in the payload, serialised, with no selection, sent to each
   of the four agents) and the ratio naive / actual per investigation.
2. The end-to-end time of an LLM-mode investigation (`sre.engine.investigate(llm=...)`)
   against the loopback fake LLM server answering every request after a fixed delay: wall
   time of the run divided by the slowest agent's time (target <= 1.1), median of RUNS runs.

Token counts are estimates (`sre.llm.budget.estimate_tokens`, one token per 3 bytes: an
overestimate for English and code), the same estimate that enforces the budget.

Run: ``python bench/prompt_budget.py`` (about 15 s on two cores; ``--quick`` skips the
1,000,000-line payload).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alpha.llm.settings import LLMSettings  # noqa: E402
from alpha.schemas import IncidentInput  # noqa: E402
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent  # noqa: E402
from sre.extractors.signal_extractor import extract_signals  # noqa: E402
from sre.llm.budget import estimate_tokens  # noqa: E402
from sre.llm.prompt import build_prompt, system_prompt  # noqa: E402
from sre.llm.refine import LLMMode  # noqa: E402
from sre.llm.settings import ReasoningSettings  # noqa: E402
from sre.redaction import Redactor  # noqa: E402
from sre.scenarios import load_all  # noqa: E402
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply  # noqa: E402

AGENTS = (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent())
BUDGET = 8_000
DELAY = 0.5
RUNS = 5
TARGET = 1.1


def naive_tokens(incident: IncidentInput) -> int:
    """Estimated tokens of one naive prompt: the instructions plus all the evidence, unselected
    (the whole payload as JSON), as if an agent were sent everything."""
    system = system_prompt("LogAgent", LogAgent.brief.role, "DATA-" + "0" * 24)
    return estimate_tokens(system) + estimate_tokens(incident.model_dump_json(exclude_none=True))


def prompt_tokens(incident: IncidentInput) -> dict[str, int]:
    """Estimated prompt tokens per agent for one incident."""
    signals = extract_signals(incident)
    redactor = Redactor()
    sizes: dict[str, int] = {}
    for agent in AGENTS:
        brief = agent.brief
        prompt = build_prompt(
            agent_name=agent.name,
            role=brief.role,
            signals=signals,
            incident=incident,
            candidates=agent.candidates(signals, incident),
            sources=brief.sources,
            redactor=redactor,
            budget_tokens=BUDGET,
        )
        sizes[agent.name] = prompt.estimated_tokens
    return sizes


def million_line_incident() -> IncidentInput:
    """A 1,000,000-line payload: three templates before the deploy, five after."""
    kinds = [
        "ERROR timeout calling payments.internal:443 after {n} ms",
        "WARN slow query on orders took {n} ms",
        "ERROR KeyError: 'sku{m}' in checkout/cart.py line 42",
        "INFO request {n} served in {m} ms",
        "ERROR connection refused to redis-{m}.cache:6379",
    ]
    total = 1_000_000
    logs = [
        f"2026-11-20T14:{i * 60 // total:02d}:{(i // 400) % 60:02d}Z "
        + kinds[i % (3 if i < total // 2 else 5)].format(n=i, m=i % 13)
        for i in range(total)
    ]
    patch = "\n".join(f"+line {i} of a generated file" for i in range(20_000))
    return IncidentInput.model_validate(
        {
            "deployment_id": "bench-1m",
            "deployed_at": "2026-11-20T14:30:00Z",
            "logs": logs,
            "metrics": {"latency_p99_ms": [120, 118, 125, 480, 510, 495]},
            "recent_commits": [
                {
                    "sha": f"{i:07x}abc",
                    "message": f"change {i}",
                    "files": [{"filename": "g.py", "patch": patch}],
                }
                for i in range(3)
            ],
            "config_snapshot": {"database": {"pool_size": 5}},
            "previous_config_snapshot": {"database": {"pool_size": 50}},
        }
    )


def print_budget_table(cases: list[tuple[str, IncidentInput]]) -> None:
    """One row per payload: per-agent prompts, their sum, the naive sizes, the ratio."""
    names = [a.name.removesuffix("Agent") for a in AGENTS]
    header = f"{'payload':<28}" + "".join(f"{n:>8}" for n in names)
    print(header + f"{'per run':>9}{'naive/agent':>13}{'naive/run':>13}{'ratio':>9}")
    ratios = []
    for name, incident in cases:
        sizes = prompt_tokens(incident)
        total = sum(sizes.values())
        naive = naive_tokens(incident)
        naive_run = naive * len(AGENTS)
        ratios.append(naive_run / total)
        row = f"{name[:27]:<28}" + "".join(f"{sizes[a.name]:>8,}" for a in AGENTS)
        print(row + f"{total:>9,}{naive:>13,}{naive_run:>13,}{naive_run / total:>8.1f}x")
        if max(sizes.values()) > BUDGET:
            raise SystemExit(f"{name}: a prompt is over the {BUDGET:,}-token budget")
    median = statistics.median(ratios)
    print(
        f"every per-agent prompt <= {BUDGET:,} (the budget); ratio = naive/run / per run "
        f"(median {median:.1f}x)"
    )


# --------------------------------------------------------------------------- latency


def _answer(request: RecordedRequest) -> Reply:
    ids = re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)
    hypothesis = {
        "label": "Model hypothesis",
        "description": "From the fake model.",
        "category": "config_change",
        "suspects": ["database.pool_size"],
        "confidence": 0.6,
        "severity": "medium",
        "supporting_signals": ids[:1] or ["sig_001"],
    }
    return Reply.json({"hypotheses": [hypothesis]}, delay=DELAY)


async def latency_runs(incident: IncidentInput) -> list[tuple[float, float, int]]:
    """(wall s, slowest agent s, LLM requests) for RUNS LLM-mode investigations."""
    from sre.engine import investigate

    results = []
    async with FakeLLMServer(default=_answer) as server:
        llm = LLMSettings(_env_file=None, base_url=server.base_url)  # type: ignore[call-arg]
        mode = LLMMode.from_settings(llm, ReasoningSettings(_env_file=None))  # type: ignore[call-arg]
        for _ in range(RUNS):
            before = server.request_count
            started = time.perf_counter()
            result = await investigate(incident, llm=mode)
            wall = time.perf_counter() - started
            slowest = max(o.execution_time_ms for o in result.agent_outcomes) / 1000.0
            fallbacks = [o.fallback_reason for o in result.agent_outcomes if o.fallback_reason]
            assert not fallbacks, fallbacks
            results.append((wall, slowest, server.request_count - before))
    return results


def print_latency(incident: IncidentInput) -> None:
    runs = asyncio.run(latency_runs(incident))
    walls = [w for w, _, _ in runs]
    slowest = [s for _, s, _ in runs]
    ratios = [w / s for w, s, _ in runs]
    print(
        f"LLM-mode investigation, fake model answering after {DELAY:g} s, {RUNS} runs "
        f"({runs[0][2]} requests per run):"
    )
    print(
        f"  wall {statistics.median(walls):.3f} s   slowest agent "
        f"{statistics.median(slowest):.3f} s   wall/slowest {statistics.median(ratios):.3f} "
        f"(target <= {TARGET})   wall/delay {statistics.median(walls) / DELAY:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-line payload")
    args = parser.parse_args()
    scenarios = load_all()
    cases = [(s.name, s.incident) for s in scenarios]
    if not args.quick:
        started = time.perf_counter()
        cases.append(("generated 1,000,000 lines", million_line_incident()))
        print(f"(generated the 1,000,000-line payload in {time.perf_counter() - started:.1f} s)")
    print_budget_table(cases)
    print()
    print_latency(scenarios[0].incident)


if __name__ == "__main__":
    main()

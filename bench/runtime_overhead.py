"""Runtime overhead: wall time of a run divided by the simulated LLM latency.

N stub agents (N = 4, 64, 512) each await a simulated LLM call of L seconds, report progress
once and return three hypotheses drawn from a small pool of labels (so the judge and the
aggregator have real merging to do). A perfect runtime takes exactly L; the figure printed
is the median over RUNS runs of wall / L:

- ``bare``: no subscriber;
- ``+noop``: one async subscriber that does nothing (the event pipeline's own cost);
- ``+display``: the Rich live display attached, rendering to an in-memory terminal
  (``Console(file=io.StringIO(), force_terminal=True)``), its enter and exit included.

The three modes are interleaved run by run so machine noise hits them alike.
Targets: <= 1.05 at N = 4, <= 1.10 at N = 64, <= 1.5 at N = 512; the display adds < 5 %.

Run: ``python bench/runtime_overhead.py`` (about 10 s on two cores).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from alpha import AgentContext, AgentEvent, AgentResult, AlphaRuntime, BaseAgent, Hypothesis

LATENCY = 0.2
RUNS = 5
SIZES = (4, 64, 512)
TARGETS = {4: 1.05, 64: 1.10, 512: 1.5}
_LABELS = (
    "Database pool exhausted",
    "database pool exhausted after config change",
    "Upstream payments gateway timing out",
    "Memory leak in worker",
    "TLS certificate expired",
    "Retry storm from clients",
)
_CATEGORIES = ("config_change", "dependency_failure", "resource_exhaustion")

PAYLOAD: dict[str, Any] = {
    "deployment_id": "bench-1",
    "logs": [f"2026-11-20T14:03:{i % 60:02d}Z ERROR db timeout after {i} ms" for i in range(200)]
    + ["2026-11-20T14:04:00Z INFO ok"] * 800,
    "metrics": {"latency_p99_ms": [120, 118, 125, 480, 510, 495], "error_rate": 0.2},
    "recent_commits": [{"sha": "9f3c2ab", "message": "Lower pool size", "files": ["cfg.yaml"]}],
    "config_snapshot": {"database": {"pool_size": 5}},
    "previous_config_snapshot": {"database": {"pool_size": 50}},
}


class SimulatedLLMAgent(BaseAgent):
    """Waits like an LLM call, then returns three hypotheses citing real signals."""

    def __init__(self, index: int, latency: float) -> None:
        self.name = f"agent-{index:03d}"
        self.index = index
        self.latency = latency

    async def run(self, context: AgentContext) -> AgentResult:
        context.progress("asking the model")
        await asyncio.sleep(self.latency)
        cited = [context.signals[self.index % len(context.signals)].id]
        hypotheses = [
            Hypothesis(
                label=_LABELS[(self.index + k) % len(_LABELS)],
                confidence=0.3 + 0.1 * ((self.index + k) % 6),
                severity="high",
                supporting_signals=cited,
                category=_CATEGORIES[(self.index + k) % len(_CATEGORIES)],
                suspects=["database.pool_size"] if k == 0 else [],
            )
            for k in range(3)
        ]
        return AgentResult(agent_name=self.name, hypotheses=hypotheses)


async def _noop(event: AgentEvent) -> None:
    return None


def _display_factory() -> Callable[[list[str]], Any] | None:
    try:
        from alpha.display.live import LiveDisplay
    except ImportError:
        return None

    def make(names: list[str]) -> Any:
        console = Console(file=io.StringIO(), force_terminal=True, width=120)
        return LiveDisplay(console, agent_names=names)

    return make


async def _one_run(n: int, latency: float, mode: str, make_display: Any) -> float:
    runtime = AlphaRuntime(agent_timeout=30.0)
    agents = [SimulatedLLMAgent(i, latency) for i in range(n)]
    for agent in agents:
        runtime.register(agent)
    start = time.perf_counter()
    if mode == "bare":
        result = await runtime.execute(PAYLOAD)
    elif mode == "+noop":
        result = await runtime.execute(PAYLOAD, subscribers=[_noop])
    else:
        with make_display([a.name for a in agents]) as display:
            result = await runtime.execute(PAYLOAD, subscribers=[display])
    wall = time.perf_counter() - start
    if not result.ranked_hypotheses or any(o.status != "ok" for o in result.agent_outcomes):
        raise SystemExit(f"benchmark run went wrong at N={n} ({mode})")
    return wall / latency


async def main(sizes: tuple[int, ...], runs: int, latency: float) -> None:
    """Print the median wall/L table."""
    make_display = _display_factory()
    modes = ["bare", "+noop"] + (["+display"] if make_display is not None else [])
    if make_display is None:
        print("alpha.display.live.LiveDisplay is not available: display column skipped")
    await _one_run(4, 0.01, "bare", make_display)  # warm imports and caches
    print(f"median of {runs} runs of wall time / L, L = {latency:g} s")
    header = f"{'N':>5} | " + " | ".join(f"{m:>9}" for m in modes)
    header += f" | {'target':>6} | display adds" if make_display else f" | {'target':>6}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        ratios: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(runs):
            for mode in modes:
                ratios[mode].append(await _one_run(n, latency, mode, make_display))
        medians = {m: statistics.median(r) for m, r in ratios.items()}
        line = f"{n:>5} | " + " | ".join(f"{medians[m]:>9.3f}" for m in modes)
        line += f" | {TARGETS.get(n, float('nan')):>6.2f}"
        if make_display:
            added = (medians["+display"] - medians["bare"]) / medians["bare"] * 100
            line += f" | {added:+.1f} %"
        print(line, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--latency", type=float, default=LATENCY)
    args = parser.parse_args()
    asyncio.run(main(tuple(args.sizes), args.runs, args.latency))

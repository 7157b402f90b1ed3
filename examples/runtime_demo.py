"""A runnable demonstration of the Alpha runtime with stub agents and the live display.

Five stub agents investigate a small incident in parallel: three agree (in different words)
that a config change shrank the database pool, one blames a slow upstream, one crashes and
one hangs past its timeout. Watch the per-agent panels fill in, then the ranked table.

Run: ``python examples/runtime_demo.py`` (about two seconds; no network, no API key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rich.console import Console

from alpha import AgentContext, AgentResult, AlphaRuntime, BaseAgent, Hypothesis
from alpha.display.live import LiveDisplay

INCIDENT: dict[str, Any] = {
    "deployment_id": "deploy-2026-11-20-1402",
    "service": "checkout-api",
    "logs": [
        "2026-11-20T14:03:11Z ERROR pool timeout: no connection available after 3000 ms",
        "2026-11-20T14:03:12Z ERROR pool timeout: no connection available after 3000 ms",
        "2026-11-20T14:03:13Z WARN payments upstream slow: 2400 ms",
        "2026-11-20T14:03:14Z INFO GET /health 200",
    ],
    "metrics": {
        "latency_p99_ms": {"baseline": [120, 118, 125], "current": [480, 510, 495], "unit": "ms"},
        "db_connections_in_use": [12, 14, 13, 5, 5, 5],
    },
    "recent_commits": [
        {
            "sha": "4be1f0c9",
            "message": "Lower DB pool size to save connections",
            "files": ["config/production.yaml"],
        },
    ],
    "config_snapshot": {"database": {"pool_size": 5}},
    "previous_config_snapshot": {"database": {"pool_size": 50}},
}


def _first(context: AgentContext, signal_type: str) -> list[str]:
    """Ids of the signals of one type (the demo agents cite real evidence)."""
    return [s.id for s in context.signals if s.type == signal_type][:2]


class StubAgent(BaseAgent):
    """Thinks for `delay` seconds, reporting progress, then returns what `decide` says."""

    def __init__(
        self,
        name: str,
        delay: float,
        decide: Callable[[AgentContext], list[Hypothesis]],
        timeout: float | None = None,
    ) -> None:
        self.name = name
        self.delay = delay
        self.decide = decide
        self.timeout = timeout

    async def run(self, context: AgentContext) -> AgentResult:
        context.progress(f"reading {len(context.signals)} signals")
        await asyncio.sleep(self.delay / 2)
        context.progress("weighing the evidence")
        await asyncio.sleep(self.delay / 2)
        return AgentResult(agent_name=self.name, hypotheses=self.decide(context))


class CrashingAgent(BaseAgent):
    name = "crashing"

    async def run(self, context: AgentContext) -> AgentResult:
        await asyncio.sleep(0.3)
        raise RuntimeError("the model answered with invalid JSON")


class HangingAgent(BaseAgent):
    name = "hanging"
    timeout = 1.0

    async def run(self, context: AgentContext) -> AgentResult:
        context.progress("waiting for a model that never answers")
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def _pool(label: str, confidence: float) -> Callable[[AgentContext], list[Hypothesis]]:
    def decide(context: AgentContext) -> list[Hypothesis]:
        return [
            Hypothesis(
                label=label,
                description="database.pool_size went from 50 to 5 in commit 4be1f0c",
                confidence=confidence,
                severity="high",
                category="config_change",
                suspects=["database.pool_size", "4be1f0c"],
                supporting_signals=_first(context, "config_change") + _first(context, "log_errors"),
            )
        ]

    return decide


def _upstream(context: AgentContext) -> list[Hypothesis]:
    return [
        Hypothesis(
            label="Payments upstream is slow",
            confidence=0.35,
            severity="medium",
            category="dependency_failure",
            suspects=["payments"],
            supporting_signals=_first(context, "log_errors"),
        )
    ]


def build_runtime() -> AlphaRuntime:
    """A runtime with the demo's agents registered."""
    runtime = AlphaRuntime(agent_timeout=5.0)
    runtime.register(StubAgent("config", 0.8, _pool("Database pool shrunk by config change", 0.8)))
    runtime.register(StubAgent("logs", 1.2, _pool("database pool shrunk", 0.6)))
    runtime.register(StubAgent("metrics", 0.6, _pool("Pool size config lowered", 0.55)))
    runtime.register(StubAgent("dependencies", 1.0, _upstream))
    runtime.register(CrashingAgent())
    runtime.register(HangingAgent())
    return runtime


async def main() -> None:
    """Run the demo once, live; the ranked table is printed when the display closes."""
    console = Console()
    runtime = build_runtime()
    with LiveDisplay(console, agent_names=[agent.name for agent in runtime.agents]) as display:
        await runtime.execute(INCIDENT, subscribers=[display])


if __name__ == "__main__":
    asyncio.run(main())

"""The SRE investigation engine: the runtime wired with the SRE extractor and agents.

`build_runtime()` gives an `AlphaRuntime` whose signal extractor is the SRE pipeline, with
the four specialists registered and the SynthesisAgent as post-aggregation step;
`investigate()` runs one incident through it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alpha.runtime import AlphaRuntime, EventSubscriber
from alpha.schemas import ExecutionResult, IncidentInput
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent, SynthesisAgent

# Display panel order, and the order agents are registered in.
AGENT_NAMES: list[str] = ["LogAgent", "MetricsAgent", "CommitAgent", "ConfigAgent"]


def build_runtime(*, agent_timeout: float = 30.0) -> AlphaRuntime:
    """A runtime with the SRE extractor, the four specialists and the SynthesisAgent.

    Args:
        agent_timeout: Default seconds each agent (and the synthesis step) may take.
    """
    # Imported here so that importing the engine stays cheap for the CLI's --help.
    from sre.extractors.pipeline import extract_signals

    runtime = AlphaRuntime(
        agent_timeout=agent_timeout,
        signal_extractor=extract_signals,
        post_aggregation=SynthesisAgent(),
    )
    for agent in (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent()):
        runtime.register(agent)
    return runtime


async def investigate(
    incident: IncidentInput,
    *,
    subscribers: Sequence[EventSubscriber] = (),
    gaps: Sequence[str] = (),
    execution_id: str | None = None,
) -> ExecutionResult:
    """Investigate one incident with a fresh runtime.

    Args:
        incident: The validated incident payload.
        subscribers: Event subscribers for this run (display, Slack progress).
        gaps: Sources that were unavailable, passed through to the result.
        execution_id: An id for the run; generated when None.
    """
    runtime = build_runtime()
    return await runtime.execute(
        incident, subscribers=subscribers, gaps=gaps, execution_id=execution_id
    )

"""Alpha: a small runtime for parallel, evidence-checked investigator agents.

This module is a facade: every name below is defined once, in the module of the original
design's layout (`alpha.core.runtime`, `alpha.core.executor`, `alpha.core.registry`,
`alpha.core.memory`, `alpha.agents.base`, `alpha.llm.base`, `alpha.judge.judge`,
`alpha.aggregation.aggregator`, `alpha.schemas.*`), and only re-exported here.

Typical use::

    runtime = AlphaRuntime(agent_timeout=20.0)
    runtime.register(MyAgent())
    result = await runtime.execute(payload, subscribers=[print])
"""

from alpha.agents.base import AgentContext, BaseAgent
from alpha.aggregation.aggregator import Aggregator
from alpha.core.errors import AlphaError, InputError
from alpha.core.events import EventDispatcher, EventSubscriber
from alpha.core.executor import AgentRun, ParallelExecutor
from alpha.core.memory import StructuredMemory
from alpha.core.registry import AgentRegistry
from alpha.core.runtime import AlphaRuntime, PostAggregationStep, SignalExtractor, parse_incident
from alpha.core.signals import basic_signals
from alpha.judge.judge import JudgedResult, JudgeLayer
from alpha.llm.base import LLMClient
from alpha.schemas import (
    AgentEvent,
    AgentOutcome,
    AgentResult,
    AgentStatus,
    EventKind,
    ExecutionResult,
    Hypothesis,
    IncidentInput,
    RankedHypothesis,
    Rejection,
    Signal,
    Synthesis,
    TokenUsage,
)

__all__ = [
    "AgentContext",
    "AgentEvent",
    "AgentOutcome",
    "AgentRegistry",
    "AgentResult",
    "AgentRun",
    "AgentStatus",
    "Aggregator",
    "AlphaError",
    "AlphaRuntime",
    "BaseAgent",
    "EventDispatcher",
    "EventKind",
    "EventSubscriber",
    "ExecutionResult",
    "Hypothesis",
    "IncidentInput",
    "InputError",
    "JudgeLayer",
    "JudgedResult",
    "LLMClient",
    "ParallelExecutor",
    "PostAggregationStep",
    "RankedHypothesis",
    "Rejection",
    "Signal",
    "SignalExtractor",
    "StructuredMemory",
    "Synthesis",
    "TokenUsage",
    "basic_signals",
    "parse_incident",
]

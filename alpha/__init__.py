"""Alpha: a small runtime for parallel, evidence-checked investigator agents.

Typical use::

    runtime = AlphaRuntime(agent_timeout=20.0)
    runtime.register(MyAgent())
    result = await runtime.execute(payload, subscribers=[print])
"""

from alpha.agents.base import AgentContext, BaseAgent
from alpha.aggregator import Aggregator
from alpha.errors import AlphaError, InputError
from alpha.events import EventDispatcher, EventSubscriber
from alpha.executor import AgentRun, ParallelExecutor
from alpha.judge import JudgedResult, JudgeLayer
from alpha.memory import StructuredMemory
from alpha.registry import AgentRegistry
from alpha.runtime import AlphaRuntime, PostAggregationStep, SignalExtractor, parse_incident
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
from alpha.signals import basic_signals

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

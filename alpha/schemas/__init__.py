"""The runtime's typed schemas (a facade: each name is defined in its own module).

- `alpha.schemas.signal`: `Signal`, `Severity`, `SEVERITIES`
- `alpha.schemas.hypothesis`: `Hypothesis`, `RankedHypothesis`, `UNKNOWN_CATEGORY`
- `alpha.schemas.incident`: `IncidentInput` and its parts
- `alpha.schemas.result`: `AgentResult`, `ExecutionResult` and what they hold
- `alpha.schemas.events`: `AgentEvent`, `EventKind`
"""

from alpha.schemas.events import AgentEvent, EventKind
from alpha.schemas.hypothesis import UNKNOWN_CATEGORY, Hypothesis, RankedHypothesis
from alpha.schemas.incident import (
    Commit,
    CommitFile,
    IncidentInput,
    MetricPoints,
    MetricValue,
    MetricWindows,
)
from alpha.schemas.result import (
    AgentOutcome,
    AgentResult,
    AgentStatus,
    ExecutionResult,
    Rejection,
    Synthesis,
    TokenUsage,
)
from alpha.schemas.signal import SEVERITIES, Severity, Signal

__all__ = [
    "SEVERITIES",
    "UNKNOWN_CATEGORY",
    "AgentEvent",
    "AgentOutcome",
    "AgentResult",
    "AgentStatus",
    "Commit",
    "CommitFile",
    "EventKind",
    "ExecutionResult",
    "Hypothesis",
    "IncidentInput",
    "MetricPoints",
    "MetricValue",
    "MetricWindows",
    "RankedHypothesis",
    "Rejection",
    "Severity",
    "Signal",
    "Synthesis",
    "TokenUsage",
]

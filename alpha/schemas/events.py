"""`AgentEvent`: what the runtime tells its subscribers (the display, the Slack publisher)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from alpha.schemas.hypothesis import Hypothesis
from alpha.schemas.result import AgentOutcome, ExecutionResult
from alpha.schemas.signal import Signal

__all__ = ["AgentEvent", "EventKind"]


class EventKind(StrEnum):
    RUN_STARTED = "run_started"
    RUN_PROGRESS = "run_progress"
    AGENT_STARTED = "agent_started"
    AGENT_PROGRESS = "agent_progress"
    SIGNAL_DETECTED = "signal_detected"
    HYPOTHESIS_PRODUCED = "hypothesis_produced"
    AGENT_COMPLETED = "agent_completed"
    AGENT_FAILED = "agent_failed"
    AGENT_TIMED_OUT = "agent_timed_out"
    RUN_COMPLETED = "run_completed"


class AgentEvent(BaseModel):
    """A runtime event delivered to subscribers (display, Slack publisher, logs).

    `agent_name` is None for run-level events. `elapsed_ms` counts from the run's start.
    Payload by kind: SIGNAL_DETECTED -> `signal`; HYPOTHESIS_PRODUCED -> `hypothesis`;
    AGENT_COMPLETED/FAILED/TIMED_OUT -> `outcome`; RUN_COMPLETED -> `result`;
    AGENT_PROGRESS -> `message`; RUN_PROGRESS -> `message` (how far signal extraction got,
    e.g. "parsing logs: 120,000 of 1,000,000 lines").
    """

    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    execution_id: str
    agent_name: str | None = None
    elapsed_ms: float = 0.0
    message: str | None = None
    signal: Signal | None = None
    hypothesis: Hypothesis | None = None
    outcome: AgentOutcome | None = None
    result: ExecutionResult | None = None

"""The original design's contract (`shared/seed/phase-2-minimal-alpha-runtime.md`).

Its wiring test runs verbatim, character for character, and each of its success criteria is a
test of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import subprocess
import sys
import time

import pytest
from pydantic import BaseModel, ValidationError

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.runtime import AlphaRuntime
from alpha.schemas.hypothesis import Hypothesis
from alpha.schemas.incident import IncidentInput
from alpha.schemas.result import AgentResult, ExecutionResult
from alpha.schemas.signal import Signal

# The design's "Wiring Test (Smoke Test Before Phase 3)", verbatim.
WIRING_TEST = """\
import asyncio
from alpha.core.runtime import AlphaRuntime
from alpha.agents.base import BaseAgent, AgentContext
from alpha.schemas.result import AgentResult
from alpha.schemas.hypothesis import Hypothesis
from alpha.schemas.incident import IncidentInput

class StubAgent(BaseAgent):
    name = "stub"

    async def run(self, context: AgentContext) -> AgentResult:
        return AgentResult(
            agent_name=self.name,
            hypotheses=[
                Hypothesis(
                    label="Test hypothesis",
                    description="Stub agent output for pipeline testing",
                    confidence=0.6,
                    severity="medium",
                    supporting_signals=["sig_001"],
                    contributing_agent=self.name
                )
            ],
            execution_time_ms=0.0
        )

test_payload = IncidentInput(
    deployment_id="test-001",
    logs=["ERROR timeout", "ERROR timeout"],
    metrics={"latency_p99": 480},
    recent_commits=[],
    config_snapshot={}
)

runtime = AlphaRuntime()
runtime.register(StubAgent())
result = asyncio.run(runtime.execute(test_payload))

assert len(result.ranked_hypotheses) > 0
print("Pipeline smoke test passed.")
"""

# The design's module tree (runtime layer, then the SRE vertical, which the project owner
# moved from `alpha/sre/` to the top-level `sre/`).
DESIGN_MODULES = [
    "alpha.core.runtime",
    "alpha.core.executor",
    "alpha.core.registry",
    "alpha.core.memory",
    "alpha.agents.base",
    "alpha.llm.base",
    "alpha.llm.openrouter",
    "alpha.judge.judge",
    "alpha.aggregation.aggregator",
    "alpha.schemas.signal",
    "alpha.schemas.hypothesis",
    "alpha.schemas.incident",
    "alpha.schemas.result",
    "alpha.schemas.events",
    "alpha.display.live",
    "sre.agents.log_agent",
    "sre.agents.metrics_agent",
    "sre.agents.commit_agent",
    "sre.agents.config_agent",
    "sre.agents.synthesis_agent",
    "sre.extractors.signal_extractor",
    "sre.integrations.sentry",
    "sre.integrations.github",
    "sre.scenarios.incident_b",
]

# The design's schema fields (Step 1), each model with every one of them.
DESIGN_FIELDS: dict[type[BaseModel], set[str]] = {
    Signal: {"id", "type", "description", "value", "severity", "source"},
    Hypothesis: {
        "label",
        "description",
        "confidence",
        "severity",
        "supporting_signals",
        "contributing_agent",
    },
    IncidentInput: {"deployment_id", "logs", "metrics", "recent_commits", "config_snapshot"},
    AgentResult: {"agent_name", "hypotheses", "execution_time_ms"},
    ExecutionResult: {
        "ranked_hypotheses",
        "signals_used",
        "execution_id",
        "requires_human_review",
    },
}

PAYLOAD = IncidentInput(
    deployment_id="test-001",
    logs=["ERROR timeout", "ERROR timeout"],
    metrics={"latency_p99": 480},
    recent_commits=[],
    config_snapshot={},
)


class Sleeper(BaseAgent):
    """Sleeps, records when it ran, and states one hypothesis with the given confidence."""

    def __init__(self, name: str, confidence: float, seconds: float = 0.2) -> None:
        super().__init__()
        self.name = name
        self.confidence = confidence
        self.seconds = seconds
        self.started = self.finished = 0.0

    async def run(self, context: AgentContext) -> AgentResult:
        self.started = time.perf_counter()
        await asyncio.sleep(self.seconds)
        self.finished = time.perf_counter()
        return AgentResult(
            agent_name=self.name,
            hypotheses=[
                Hypothesis(
                    label=f"{self.name} cause",
                    description="",
                    confidence=self.confidence,
                    severity="medium",
                    supporting_signals=["sig_001"],
                    contributing_agent=self.name,
                )
            ],
            execution_time_ms=0.0,
        )


class Exploder(BaseAgent):
    """Raises instead of returning."""

    name = "exploder"

    async def run(self, context: AgentContext) -> AgentResult:
        raise RuntimeError("boom")


def test_wiring_test_runs_verbatim() -> None:
    """The design's wiring test, executed as written, prints its success line."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(WIRING_TEST, "<design wiring test>", "exec"), {"__name__": "__main__"})
    assert out.getvalue() == "Pipeline smoke test passed.\n"


def test_wiring_test_runs_as_a_script_in_a_fresh_interpreter() -> None:
    """The same text as a standalone script (a new user pasting it) exits 0."""
    done = subprocess.run(
        [sys.executable, "-c", WIRING_TEST], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Pipeline smoke test passed.\n"


def test_default_signal_step_produces_the_cited_signal() -> None:
    """The runtime's default extraction makes sig_001 of the stub payload's two error lines."""
    result = asyncio.run(AlphaRuntime().execute(PAYLOAD))
    first = result.signals_used[0]
    assert first.id == "sig_001" and first.type == "log_errors"
    assert first.value["count"] == 2


@pytest.mark.parametrize("module", DESIGN_MODULES)
def test_every_module_of_the_design_exists_and_imports(module: str) -> None:
    """Each module path of the design's tree is importable."""
    assert importlib.import_module(module).__name__ == module


@pytest.mark.parametrize("model", list(DESIGN_FIELDS), ids=lambda m: m.__name__)
def test_design_schemas_are_pydantic_models_with_the_design_fields(
    model: type[BaseModel],
) -> None:
    """Each schema carries every field the design names and refuses an unknown key."""
    assert DESIGN_FIELDS[model] <= set(model.model_fields)
    with pytest.raises(ValidationError, match="misspelt_field"):
        model.model_validate({"misspelt_field": 1})


def test_base_agent_is_abstract() -> None:
    """BaseAgent cannot be instantiated; a subclass without `run` cannot either."""
    with pytest.raises(TypeError):
        BaseAgent()  # type: ignore[abstract]

    class NoRun(BaseAgent):
        name = "norun"

    with pytest.raises(TypeError):
        NoRun()  # type: ignore[abstract]


def test_two_agents_run_at_once_and_both_appear() -> None:
    """Two stub agents registered together overlap in time and both reach the output."""
    first, second = Sleeper("first", 0.6), Sleeper("second", 0.7)
    runtime = AlphaRuntime()
    runtime.register(first)
    runtime.register(second)
    result = asyncio.run(runtime.execute(PAYLOAD))
    assert second.started < first.finished and first.started < second.finished
    assert {h.contributing_agent for h in result.ranked_hypotheses} == {"first", "second"}


def test_output_is_sorted_by_score_highest_first() -> None:
    """The ranked hypotheses come highest score first, whatever the registration order."""
    runtime = AlphaRuntime()
    for name, confidence in (("low", 0.3), ("high", 0.9), ("mid", 0.6)):
        runtime.register(Sleeper(name, confidence, seconds=0.0))
    result = asyncio.run(runtime.execute(PAYLOAD))
    assert [h.contributing_agent for h in result.ranked_hypotheses] == ["high", "mid", "low"]
    scores = [h.score for h in result.ranked_hypotheses]
    assert scores == sorted(scores, reverse=True)


def test_a_raising_agent_does_not_crash_the_run() -> None:
    """An agent that raises is recorded as failed; the other's hypothesis is still ranked."""
    runtime = AlphaRuntime()
    runtime.register(Exploder())
    runtime.register(Sleeper("ok", 0.6, seconds=0.0))
    result = asyncio.run(runtime.execute(PAYLOAD))
    assert [h.contributing_agent for h in result.ranked_hypotheses] == ["ok"]
    failed = [o for o in result.agent_outcomes if o.agent_name == "exploder"]
    assert failed and failed[0].status == "failed" and "boom" in (failed[0].reason or "")


def test_execution_result_is_a_pydantic_model_not_a_dict() -> None:
    """`execute` returns an ExecutionResult that round-trips through JSON."""
    runtime = AlphaRuntime()
    runtime.register(Sleeper("ok", 0.6, seconds=0.0))
    result = asyncio.run(runtime.execute(PAYLOAD))
    assert type(result) is ExecutionResult
    assert ExecutionResult.model_validate_json(result.model_dump_json()) == result

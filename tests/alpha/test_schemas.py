"""Schemas, payload parsing, the agent base class, the registry and importability."""

import importlib
import pkgutil
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import alpha
from alpha import schemas
from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.errors import InputError
from alpha.core.runtime import AlphaRuntime, parse_incident
from alpha.schemas import AgentResult, IncidentInput, MetricPoints, MetricWindows

MINIMAL = {
    "deployment_id": "d-1",
    "logs": [],
    "metrics": {},
    "recent_commits": [],
    "config_snapshot": {},
}


def test_every_alpha_module_imports():
    """Every module under alpha/ imports without error."""
    names = [m.name for m in pkgutil.walk_packages(alpha.__path__, "alpha.")]
    assert {
        "alpha.core.runtime",
        "alpha.core.executor",
        "alpha.judge.judge",
        "alpha.aggregation.aggregator",
    } <= set(names)
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize(
    "model",
    [
        schemas.IncidentInput,
        schemas.Signal,
        schemas.Hypothesis,
        schemas.RankedHypothesis,
        schemas.AgentResult,
        schemas.AgentOutcome,
        schemas.ExecutionResult,
        schemas.AgentEvent,
        schemas.Rejection,
        schemas.Synthesis,
        schemas.TokenUsage,
    ],
)
def test_schemas_refuse_unknown_keys(model):
    """Every boundary schema, input or output, fails on a misspelt key instead of dropping it."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"misspelt_field": 1})
    assert any(e["type"] == "extra_forbidden" for e in caught.value.errors())


def test_unknown_key_is_rejected_naming_the_key():
    """A typo in a payload key fails with an error that names the key."""
    with pytest.raises(ValidationError, match="deploymnet_id"):
        IncidentInput.model_validate({**MINIMAL, "deploymnet_id": "x"})
    with pytest.raises(InputError) as caught:
        parse_incident({**MINIMAL, "deploymnet_id": "x"})
    assert "deploymnet_id: unknown key" in str(caught.value)


def test_nested_unknown_key_names_the_dotted_path():
    """An unknown key inside a commit is reported with its path."""
    payload = {**MINIMAL, "recent_commits": [{"sha": "abcdef1", "message": "m", "sah": 1}]}
    with pytest.raises(InputError, match=r"recent_commits\.0\.sah: unknown key"):
        parse_incident(payload)


def test_missing_and_mistyped_fields_are_named():
    """Missing required fields and wrong types are named; no traceback-style dump."""
    with pytest.raises(InputError) as caught:
        parse_incident({"deployment_id": "", "logs": "not a list"})
    text = str(caught.value)
    for field in ("deployment_id", "logs", "metrics", "recent_commits", "config_snapshot"):
        assert field in text
    assert "Traceback" not in text


def test_non_mapping_payload_is_refused_clearly():
    """A payload that is not an object is refused with its type named."""
    with pytest.raises(InputError, match="must be a JSON object, got list"):
        parse_incident([1, 2])  # type: ignore[arg-type]


def test_every_metric_form_of_the_spec_is_accepted():
    """Scalar, series, explicit windows and timestamped points are all valid metrics."""
    incident = parse_incident(
        {
            **MINIMAL,
            "metrics": {
                "scalar": 480,
                "series": [120, 118, 480, 510],
                "windows": {"baseline": [120, 118], "current": [480, 510], "unit": "ms"},
                "windows_scalar": {"baseline": 120, "current": 480},
                "windows_no_baseline": {"current": 480},
                "points": {
                    "points": [["2026-11-20T14:00:00Z", 120], ["2026-11-20T14:05:00Z", 480]],
                    "unit": "ms",
                },
            },
        }
    )
    m = incident.metrics
    assert m["scalar"] == 480 and m["series"] == [120, 118, 480, 510]
    assert isinstance(m["windows"], MetricWindows) and m["windows"].unit == "ms"
    assert isinstance(m["windows_scalar"], MetricWindows)
    assert isinstance(m["points"], MetricPoints)
    assert m["points"].points[0][0] == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def test_one_million_log_lines_are_accepted():
    """A payload with 1,000,000 log lines validates."""
    incident = parse_incident({**MINIMAL, "logs": ["INFO ok"] * 1_000_000})
    assert len(incident.logs) == 1_000_000


def test_base_agent_cannot_be_instantiated():
    """BaseAgent is abstract; a subclass without run() is too."""
    with pytest.raises(TypeError):
        BaseAgent()  # type: ignore[abstract]

    class NoRun(BaseAgent):
        name = "norun"

    with pytest.raises(TypeError):
        NoRun()  # type: ignore[abstract]


class _Named(BaseAgent):
    def __init__(self, name: str) -> None:
        self.name = name

    async def run(self, context: AgentContext) -> AgentResult:
        return AgentResult(agent_name=self.name)


def test_registry_refuses_duplicates_and_blank_names():
    """Registering two agents with one name, or a nameless agent, raises ValueError."""
    runtime = AlphaRuntime()
    runtime.register(_Named("logs"))
    with pytest.raises(ValueError, match="'logs' is already registered"):
        runtime.register(_Named("logs"))
    with pytest.raises(ValueError, match="has no name"):
        runtime.register(_Named(""))
    assert [a.name for a in runtime.agents] == ["logs"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_keys = st.sampled_from([*MINIMAL, "service", "deployed_at", "typo", "metrics"])


@given(st.dictionaries(_keys, _json, max_size=7) | _json)
def test_parse_incident_never_fails_unexpectedly(payload):
    """Any JSON value either parses or raises InputError; nothing else escapes."""
    try:
        parsed = parse_incident(payload)
    except InputError as exc:
        assert str(exc)
    else:
        assert isinstance(parsed, IncidentInput)


def test_log_lines_are_capped_as_the_payload_is_read() -> None:
    """A 1,000,000-character line is kept as its head; shorter lines are left as they are."""
    from alpha.schemas.incident import MAX_LOG_LINE_CHARS

    huge = "2026-11-20T14:03:11Z ERROR " + "x" * 1_000_000
    lines = ["2026-11-20T14:00:00Z INFO ok", huge, "    at a.b(C.java:1)"]
    incident = IncidentInput(
        deployment_id="d-1", logs=lines, metrics={}, recent_commits=[], config_snapshot={}
    )
    assert incident.logs == [lines[0], huge[:MAX_LOG_LINE_CHARS], lines[2]]
    short = IncidentInput.model_validate(
        {"deployment_id": "d-1", "logs": lines[:1], "metrics": {}, "recent_commits": []}
        | {"config_snapshot": {}}
    )
    assert short.logs == lines[:1]

"""Prompt building: budget, relevance, omission counts, redaction and fencing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpha.core.errors import ConfigurationError
from alpha.schemas import Hypothesis, IncidentInput, Signal
from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent
from sre.agents.roster import SPECIALISTS
from sre.extractors.signal_extractor import extract_signals
from sre.llm.budget import estimate_tokens
from sre.llm.prompt import Prompt, bound_raw, build_prompt
from sre.redaction import Redactor
from sre.signals import signal_class
from sre.signals.values import LogTemplateValue, SignalValue
from tests.sre.builders import Signals
from tests.sre.llm.canaries import INJECTIONS, canary_incident, leaked

AGENTS = (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent())


def _prompt(
    agent_name: str,
    signals: Sequence[Signal],
    incident: IncidentInput,
    candidates: Sequence[Hypothesis] = (),
    *,
    budget: int = 8_000,
    redactor: Redactor | None = None,
) -> Prompt:
    brief = next(a.brief for a in SPECIALISTS if a.name == agent_name)
    return build_prompt(
        agent_name=agent_name,
        role=brief.role,
        signals=signals,
        incident=incident,
        candidates=candidates,
        sources=brief.sources,
        redactor=redactor or Redactor(),
        budget_tokens=budget,
    )


def _empty_incident(**extra: object) -> IncidentInput:
    base: dict[str, object] = {
        "deployment_id": "d-1",
        "logs": [],
        "metrics": {},
        "recent_commits": [],
        "config_snapshot": {},
    }
    base.update(extra)
    return IncidentInput.model_validate(base)


def _signal(
    index: int, text: str, *, source: str = "logs", value: SignalValue | None = None
) -> Signal:
    """A signal with this description: typed when given a value, else a bare generic one."""
    if value is not None:
        return signal_class(value).model_validate(
            {"id": f"sig_{index:03d}", "description": text, "value": value}
        )
    return Signal(
        id=f"sig_{index:03d}",
        type="log_template" if source == "logs" else "metric_anomaly",
        description=text,
        value=value,
        source=source,
    )


def _template(**value: Any) -> LogTemplateValue:
    """A log template value with the builders' defaults and these fields."""
    return Signals().template("t", **value).value


def _fenced_spans(prompt: Prompt) -> list[tuple[int, int]]:
    """Character spans of the user prompt inside this call's fences."""
    b = re.escape(prompt.boundary)
    pattern = re.compile(rf"<<<BEGIN {b} [^>]*>>>\n(.*?)\n<<<END {b} [^>]*>>>", re.DOTALL)
    return [m.span(1) for m in pattern.finditer(prompt.user)]


# --------------------------------------------------------------------------- the big payload

# pytest-timeout is a hang guard, not a speed requirement (bench/ measures speed): building
# and extracting a million lines takes ~25 s on a busy 2-core machine and several times that
# with every core loaded, so the tests that share it get a longer guard than the suite's.
MILLION_LINE_GUARD = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def million_line_run() -> tuple[IncidentInput, list[Signal]]:
    """A 1,000,000-line payload with varied templates and huge patches, extracted once."""
    kinds = [
        "ERROR timeout calling payments.internal:443 after {n} ms",
        "WARN slow query on orders took {n} ms",
        "ERROR KeyError: 'sku{m}' in checkout/cart.py line 42",
        "INFO request {n} served in {m} ms",
        "ERROR connection refused to redis-{m}.cache:6379",
    ]
    total = 1_000_000
    # Three templates before the deploy at 14:30, five after: new templates to report. The
    # numbers repeat every 997 lines: the extractor's per-message caches then spare the
    # parsing cost (measured by bench/, not checked here): extraction took 3.6 s instead of
    # 10.1 s on the same loaded machine. The line count, templates and counts are the same.
    logs = [
        f"2026-11-20T14:{i * 60 // total:02d}:{(i // 400) % 60:02d}Z "
        + kinds[i % (3 if i < total // 2 else 5)].format(n=i % 997, m=i % 13)
        for i in range(total)
    ]
    big_patch = "\n".join(f"+line {i} of a generated file" for i in range(20_000))
    commits = [
        {
            "sha": f"{i:07x}abc",
            "message": f"change {i}",
            "files": [{"filename": "gen.py", "patch": big_patch}],
        }
        for i in range(3)
    ]
    incident = IncidentInput.model_validate(
        {
            "deployment_id": "huge-1",
            "deployed_at": "2026-11-20T14:30:00Z",
            "logs": logs,
            "metrics": {f"m{i}": [1, 1, 1, 1, 50, 60, 70] for i in range(20)},
            "recent_commits": commits,
            "config_snapshot": {f"k{i}": i for i in range(100)},
            "previous_config_snapshot": {f"k{i}": i + 1 for i in range(100)},
        }
    )
    return incident, extract_signals(incident)


@MILLION_LINE_GUARD
@pytest.mark.parametrize("budget", [2_000, 8_000])
def test_prompt_stays_within_budget_for_a_million_lines(
    million_line_run: tuple[IncidentInput, list[Signal]], budget: int
) -> None:
    """Every agent's prompt for a 1,000,000-line payload stays within the token budget."""
    incident, signals = million_line_run
    for agent in AGENTS:
        candidates = agent.candidates(signals, incident)
        prompt = _prompt(agent.name, signals, incident, candidates, budget=budget)
        assert prompt.estimated_tokens <= budget, agent.name
        assert estimate_tokens(prompt.system) + estimate_tokens(prompt.user) <= budget
        # The payload is far larger than the budget: something must have been left out and said so.
        assert prompt.omitted_signals or prompt.omitted_excerpts or "more lines" in prompt.user


@MILLION_LINE_GUARD
def test_template_counts_and_omissions_are_stated(
    million_line_run: tuple[IncidentInput, list[Signal]],
) -> None:
    """The prompt says how many lines of a template and how many signals it does not show."""
    incident, signals = million_line_run
    prompt = _prompt("LogAgent", signals, incident, budget=2_000)
    assert re.search(r"\(\d{1,3}(,\d{3})+ more lines of this template\)", prompt.user)
    assert prompt.omitted_signals > 0
    assert f"({prompt.omitted_signals:,} more signals not shown)" in prompt.user


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=120),
    size=st.integers(min_value=1, max_value=3_000),
    budget=st.integers(min_value=2_000, max_value=12_000),
)
def test_budget_holds_for_any_number_and_size_of_signals(
    count: int, size: int, budget: int
) -> None:
    """Whatever the number and size of signals and excerpts, the estimate stays in budget."""
    incident = _empty_incident()
    signals = [
        _signal(i, "é" * size, value=_template(example="x" * size * 3, count_after=10))
        for i in range(count)
    ]
    prompt = _prompt("LogAgent", signals, incident, budget=budget)
    assert prompt.estimated_tokens <= budget
    assert len(prompt.signal_ids) + prompt.omitted_signals == count


def test_budget_smaller_than_the_instructions_is_a_clear_error() -> None:
    """A budget that cannot hold the instructions raises ConfigurationError naming the variable."""
    with pytest.raises(ConfigurationError, match="ALPHA_PROMPT_BUDGET"):
        _prompt("LogAgent", [], _empty_incident(), budget=300)


# --------------------------------------------------------------------------- relevance


def test_signals_cited_by_candidates_come_first_then_own_source() -> None:
    """Cited signals lead, then the agent's own source, then the rest."""
    signals = [
        _signal(1, "metric thing", source="metrics"),
        _signal(2, "log thing"),
        _signal(3, "another metric", source="metrics"),
    ]
    cand = Hypothesis(label="x", confidence=0.5, supporting_signals=["sig_003"])
    prompt = _prompt("LogAgent", signals, _empty_incident(), [cand])
    assert prompt.signal_ids == ("sig_003", "sig_002", "sig_001")


def test_only_shown_signals_get_excerpts_and_excerpts_are_deduplicated() -> None:
    """Two signals of one commit share its patch once; omitted excerpts are counted."""
    incident = _empty_incident(
        recent_commits=[
            {
                "sha": "abcdef1234567",
                "message": "m",
                "files": [{"filename": "a.py", "patch": "+x = 1"}],
            }
        ]
    )
    commit = Signals().commit("abcdef1234567", "m").value
    signals = [_signal(1, "c", value=commit), _signal(2, "c", value=commit)]
    prompt = _prompt("CommitAgent", signals, incident)
    assert prompt.user.count("+x = 1") == 1


# --------------------------------------------------------------------------- redaction, fencing


def test_canaries_never_reach_any_agent_prompt() -> None:
    """Secrets planted in logs, patches, config and commit messages are absent from prompts."""
    incident = canary_incident()
    signals = extract_signals(incident)
    redactor = Redactor()
    for agent in AGENTS:
        prompt = _prompt(
            agent.name, signals, incident, agent.candidates(signals, incident), redactor=redactor
        )
        assert leaked(prompt.system + prompt.user) == [], agent.name
    assert redactor.count >= 5


def test_placeholders_are_stable_across_agents() -> None:
    """The same secret gets the same placeholder in every agent's prompt of one run."""
    incident = canary_incident()
    signals = extract_signals(incident)
    redactor = Redactor()
    prompts = [_prompt(a.name, signals, incident, redactor=redactor) for a in AGENTS]
    found = [set(re.findall(r"\[REDACTED:config_secret#\d+\]", p.user)) for p in prompts]
    assert found[0] and all(f <= found[0] | found[3] for f in found)


def test_boundary_is_random_and_absent_from_the_data() -> None:
    """Each call draws a fresh boundary that occurs nowhere in the fenced data."""
    incident = canary_incident()
    signals = extract_signals(incident)
    first = _prompt("LogAgent", signals, incident)
    second = _prompt("LogAgent", signals, incident)
    assert first.boundary != second.boundary
    for prompt in (first, second):
        assert prompt.boundary in prompt.system
        for start, end in _fenced_spans(prompt):
            assert prompt.boundary not in prompt.user[start:end]


def test_injection_corpus_only_appears_inside_fences() -> None:
    """Every occurrence of injected text sits inside a fence of this call's boundary."""
    incident = canary_incident()
    signals = extract_signals(incident)
    for agent in AGENTS:
        prompt = _prompt(agent.name, signals, incident, budget=20_000)
        spans = _fenced_spans(prompt)
        markers = ["IGNORE PREVIOUS INSTRUCTIONS", "<!channel>", "admin mode", "the intern"]
        hits = 0
        for marker in markers:
            for match in re.finditer(re.escape(marker), prompt.user):
                hits += 1
                assert any(s <= match.start() < e for s, e in spans), (agent.name, marker)
        assert "data" in prompt.system.lower() and "never follow" in prompt.system
        if agent.name in ("LogAgent", "CommitAgent"):
            assert hits > 0, agent.name  # the corpus did reach the prompt, fenced
    assert INJECTIONS


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.text(alphabet="ab \n", max_size=200),
    cut=st.integers(min_value=10, max_value=300),
)
def test_bound_raw_never_splits_a_secret(prefix: str, cut: int) -> None:
    """Cutting huge text before redaction never leaves part of a secret behind."""
    secret = "AKIAIOSFODNN7CANARY1"
    text = prefix + " " + secret + " tail\nmore " * 3
    out = Redactor().redact(bound_raw(text, cut))
    assert "IOSFODNN7" not in out


def test_a_shared_example_line_is_shown_once() -> None:
    """A template and its host's errors with the same example line show it once."""
    example = "ERROR posting to ledger.svc:8080 failed: deadline exceeded"
    host = Signals().dependency("ledger.svc:8080", [], example=example, count_after=34).value
    signals = [
        _signal(1, "template", value=_template(example=example, count_after=34)),
        _signal(2, "host", value=host),
    ]
    prompt = _prompt("LogAgent", signals, _empty_incident())
    assert prompt.user.count(example) == 1
    assert "(33 more lines of this template)" in prompt.user

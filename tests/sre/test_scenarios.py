"""The bundled scenario library: valid, diverse, honest, and investigable end to end."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from alpha.core.errors import InputError
from alpha.schemas import ExecutionResult
from sre.payload import Scenario, load_scenario
from sre.scenarios import (
    incident_b,
    load_all,
    load_bundled,
    scenario_names,
    scenario_paths,
)
from sre.taxonomy import CATEGORIES

PATHS = scenario_paths()
IDS = [path.stem for path in PATHS]
HEX = re.compile(r"^[0-9a-f]{7,40}$")
# Non-code categories: no recent commit may be the answer.
CHANGE_CATEGORIES = {"code_regression", "config_change"}


def _scenario(path: Path) -> Scenario:
    return load_scenario(path)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_bundled_file_loads(path: Path) -> None:
    """Each bundled file is a valid scenario whose name is its file name."""
    scenario = _scenario(path)
    assert scenario.name == path.stem
    assert scenario.description.strip()


def test_library_size_and_demo() -> None:
    """At least 15 scenarios ship, including the demo, with unique names."""
    names = scenario_names()
    assert len(names) >= 15
    assert incident_b.NAME in names
    assert incident_b.payload().deployment_id == incident_b.scenario().incident.deployment_id
    assert len({s.name for s in load_all()}) == len(names)


def test_every_category_is_covered() -> None:
    """All eight categories appear; the five common ones at least twice."""
    counts = Counter(s.expected.primary_category for s in load_all())
    assert set(counts) == set(CATEGORIES)
    for category in (
        "code_regression",
        "config_change",
        "dependency_failure",
        "database",
        "resource_exhaustion",
    ):
        assert counts[category] >= 2, category


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_log_volume_is_realistic(path: Path) -> None:
    """Each scenario has between 40 and 400 log lines, with info-level noise among them."""
    logs = _scenario(path).incident.logs
    assert 40 <= len(logs) <= 400
    noise = re.compile(r"info|debug|\"level\":(?:20|30)|\b200\b", re.IGNORECASE)
    noisy = [line for line in logs if noise.search(line)]
    assert len(noisy) >= len(logs) // 4


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_expected_suspects_appear_in_the_evidence(path: Path) -> None:
    """Every expected suspect can be found in the payload (a commit SHA, a key, a host)."""
    scenario = _scenario(path)
    text = scenario.incident.model_dump_json().lower()
    shas = [commit.sha.lower() for commit in scenario.incident.recent_commits]
    configs = [scenario.incident.config_snapshot, scenario.incident.previous_config_snapshot or {}]
    for suspect in scenario.expected.suspects:
        if HEX.match(suspect.lower()):
            assert any(sha.startswith(suspect.lower()) for sha in shas), suspect
        else:
            found = suspect.lower() in text or any(_has_key(c, suspect) for c in configs)
            assert found, suspect


def _has_key(config: dict[str, Any], dotted: str) -> bool:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_commits_are_innocent_unless_the_answer_is_a_change(path: Path) -> None:
    """In non-change categories no commit is a suspect, and there are red herrings."""
    scenario = _scenario(path)
    commits = scenario.incident.recent_commits
    assert len(commits) >= 3
    named = [s for s in scenario.expected.suspects if HEX.match(s.lower())]
    if not set(scenario.expected.categories) & CHANGE_CATEGORIES:
        assert named == []
    elif "code_regression" in scenario.expected.categories:
        assert len(named) == 1, "a code regression names its commit"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_payload_does_not_state_its_answer(path: Path) -> None:
    """No log line, commit message or patch says the answer in words."""
    scenario = _scenario(path)
    text = scenario.incident.model_dump_json().lower()
    for phrase in ("root cause", "culprit", "caused by the", "this broke", "because of the"):
        assert phrase not in text, phrase
    # Category ids such as `config_change` only appear if someone labelled the incident.
    for category in CATEGORIES:
        if "_" in category:
            assert category not in text, category


def test_timestamps_straddle_the_deploy_when_it_matters() -> None:
    """In every scenario whose answer is a deployed commit (at least five ship), the logs
    hold lines from before and after the deploy."""
    stamp = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}:\d{2}:\d{2})")
    shipped = [
        scenario
        for scenario in map(_scenario, PATHS)
        if any(HEX.match(s.lower()) for s in scenario.expected.suspects)
    ]
    assert len(shipped) >= 5
    for scenario in shipped:
        incident = scenario.incident
        assert incident.deployed_at is not None, scenario.name
        deployed = incident.deployed_at.strftime("%Y %m %d %H:%M:%S")
        seen = [" ".join(m.groups()) for line in incident.logs if (m := stamp.search(line))]
        assert any(t < deployed for t in seen), scenario.name
        assert any(t > deployed for t in seen), scenario.name


def test_load_bundled_by_name_and_unknown() -> None:
    """Scenarios load by name; an unknown name is an error listing the known ones."""
    assert load_bundled("incident_b").name == "incident_b"
    with pytest.raises(InputError, match="unknown scenario 'nope'; bundled scenarios: "):
        load_bundled("nope")


def test_scenarios_are_formatted_json() -> None:
    """Files are indented JSON ending with a newline, so diffs stay reviewable."""
    for path in PATHS:
        text = path.read_text()
        assert text.endswith("}\n")
        assert json.loads(text)["name"] == path.stem


def test_generators_reproduce_the_bundled_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rerunning tools/scenarios gives the bundled files byte for byte (no hand edits)."""
    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "tools" / "scenarios"))
    try:
        generate = importlib.import_module("generate")
        common = importlib.import_module("common")
        rendered = dict(common.render(make()) for make in generate.GENERATORS)
    finally:
        # The generators use bare module names (common, gen_code); do not leave them behind.
        for name in set(sys.modules) - before:
            del sys.modules[name]
    assert sorted(rendered) == sorted(path.name for path in PATHS)
    for path in PATHS:
        assert rendered[path.name] == path.read_text(), path.name


# --------------------------------------------------------------------------- end to end


@cache
def _investigate(name: str) -> ExecutionResult:
    from sre.engine import investigate

    return asyncio.run(investigate(load_bundled(name).incident))


@pytest.mark.parametrize("name", IDS)
def test_investigation_runs_and_cites_existing_signals(name: str) -> None:
    """The engine ranks hypotheses for every scenario, each citing extracted signals."""
    result = _investigate(name)
    assert result.ranked_hypotheses, "no hypothesis"
    signal_ids = {signal.id for signal in result.signals_used}
    assert [h.rank for h in result.ranked_hypotheses] == list(
        range(1, len(result.ranked_hypotheses) + 1)
    )
    for hypothesis in result.ranked_hypotheses:
        assert hypothesis.supporting_signals, hypothesis.label
        assert set(hypothesis.supporting_signals) <= signal_ids, hypothesis.label
        assert hypothesis.category in CATEGORIES or hypothesis.category == "unknown"

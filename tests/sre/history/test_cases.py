"""Judged runs exported as scenario files that `alpha eval` reads."""

from __future__ import annotations

from pathlib import Path

from sre.history.cases import case_name, to_scenario, write_scenario
from sre.history.records import PayloadCaps, PayloadCuts, StoredPayload
from sre.payload import load_scenario
from tests.sre.history.conftest import incident
from tests.sre.history.conftest import judged_run as _run

PAYLOAD = StoredPayload(
    incident=incident(),
    caps=PayloadCaps(),
    cuts=PayloadCuts(log_lines_total=1),
    fingerprint="0" * 64,
)


def test_a_correction_becomes_a_case_with_the_real_cause(tmp_path: Path) -> None:
    """'Wrong, it was commit abc1234' exports the stored payload expecting that commit."""
    run = _run(
        {"verdict": "wrong", "category": "code_regression", "suspects": ["abc1234"], "note": "n"}
    )
    scenario = to_scenario(run, PAYLOAD)
    assert scenario is not None
    assert scenario.expected.categories == ["code_regression"]
    assert scenario.expected.suspects == ["abc1234"]
    path = write_scenario(scenario, tmp_path)
    loaded = load_scenario(path)
    assert loaded.name == case_name(run) == "deploy-1-x1"
    assert loaded.incident == PAYLOAD.incident
    assert "marked wrong" in loaded.description and loaded.description.endswith("n")


def test_a_confirmation_becomes_a_case_expecting_the_confirmed_hypothesis() -> None:
    """'Correct' on #1 expects #1's category and suspects."""
    scenario = to_scenario(_run({"verdict": "correct"}), PAYLOAD)
    assert scenario is not None
    assert scenario.expected.categories == ["config_change"]
    assert scenario.expected.suspects == ["database.pool_size"]


def test_a_bare_wrong_is_no_case() -> None:
    """Without the real cause there is no known answer to test against."""
    assert to_scenario(_run({"verdict": "wrong"}), PAYLOAD) is None

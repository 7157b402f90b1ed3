"""The `alpha` command line, run in-process (and once as the installed script)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alpha.schemas import ExecutionResult
from sre.cli import main
from sre.scenarios import scenario_dir, scenario_names

LIVE_SETTINGS = (
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "SENTRY_AUTH_TOKEN",
    "SENTRY_ORG",
    "SENTRY_PROJECT",
)


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder (no .env) with no live source configured."""
    monkeypatch.chdir(tmp_path)
    for name in LIVE_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def _payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "deployment_id": "deploy-7",
        "logs": ["2026-11-20T14:03:11Z ERROR boom"],
        "metrics": {"error_rate": [0.1, 0.2, 5.0]},
        "recent_commits": [{"sha": "9f3c2ab71d0e", "message": "Tune retries"}],
        "config_snapshot": {},
    }
    base.update(overrides)
    return base


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line_error(err: str, starts: str) -> None:
    assert err.startswith(starts), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{\n  "deployment_id": "x",\n  "logs": [,]\n}',
            "alpha: payload.json: invalid JSON at line 3",
        ),
        (json.dumps(_payload(deploy_id="x")), "alpha: payload.json: unknown key 'deploy_id'"),
        (
            json.dumps({k: v for k, v in _payload().items() if k != "metrics"}),
            "alpha: payload.json: metrics: missing required field",
        ),
        (
            json.dumps(_payload(recent_commits=[{"sha": "zz", "message": "m"}])),
            "alpha: payload.json: recent_commits.0.sha: String should match pattern",
        ),
        (json.dumps(_payload(logs={"a": 1})), "alpha: payload.json: logs: Input should be"),
        ("[]", "alpha: payload.json: expected a JSON object at the top level"),
        (" \n", "alpha: payload.json: empty: expected a JSON payload or scenario"),
    ],
)
def test_bad_payload_is_one_line_naming_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    """Bad JSON, wrong types, unknown keys and missing fields exit 2 with one line."""
    (tmp_path / "payload.json").write_text(content)
    code, out, err = _run(capsys, "investigate", "--payload", "payload.json")
    assert code == 2
    assert out == ""
    _assert_one_line_error(err, expected)


def test_missing_payload_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file is named, exit 2."""
    code, _, err = _run(capsys, "investigate", "--payload", "nope.json")
    assert code == 2
    _assert_one_line_error(err, "alpha: nope.json: no such file")


def test_bad_payload_on_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--payload -` reads stdin and names it <stdin> in errors."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"deployment_id": 5}')))
    code, _, err = _run(capsys, "investigate", "--payload", "-", "--json")
    assert code == 2
    _assert_one_line_error(err, "alpha: <stdin>: deployment_id: Input should be a valid string")


@pytest.mark.parametrize(
    "argv",
    [["investigate"], ["investigate", "--scenario", "incident_b", "deploy-1"]],
)
def test_investigate_needs_exactly_one_source(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """No source or two sources is a usage error, exit 2."""
    code, _, err = _run(capsys, *argv)
    assert code == 2
    _assert_one_line_error(err, "alpha: investigate needs exactly one of")


def test_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown scenario name lists the bundled ones."""
    code, _, err = _run(capsys, "investigate", "--scenario", "nope")
    assert code == 2
    _assert_one_line_error(err, "alpha: unknown scenario 'nope'; bundled scenarios: ")


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse errors are one `alpha:` line with status 2, not a usage dump."""
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    _assert_one_line_error(capsys.readouterr().err, "alpha: argument command: invalid choice")


@pytest.mark.parametrize("command", ["fetch", "investigate"])
def test_live_without_configuration_names_missing_settings(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """A deployment id with no source configured says which settings to set."""
    code, out, err = _run(capsys, command, "deploy-42")
    assert code == 2
    assert out == ""
    _assert_one_line_error(err, "alpha: no live source is configured: set ")
    assert "GITHUB_TOKEN, GITHUB_REPOSITORY (GitHub)" in err
    assert "SENTRY_AUTH_TOKEN" in err


def test_malformed_setting_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed setting is reported by name, not as a pydantic traceback."""
    monkeypatch.setenv("GITHUB_REPOSITORY", "not-a-repo")
    code, _, err = _run(capsys, "fetch", "deploy-42")
    assert code == 2
    _assert_one_line_error(err, "alpha: setting GITHUB_REPOSITORY: ")


def test_dotenv_is_loaded_without_overriding_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.env` in the current folder fills unset variables; real ones win."""
    for name in ("ALPHA_TEST_FROM_FILE", "ALPHA_TEST_REAL"):
        monkeypatch.setenv(name, "placeholder")  # registers the variable for restoration
        monkeypatch.delenv(name)
    monkeypatch.setenv("ALPHA_TEST_REAL", "real")
    (tmp_path / ".env").write_text("ALPHA_TEST_FROM_FILE=file\nALPHA_TEST_REAL=file\n")
    code, _, _ = _run(capsys, "scenarios")
    assert code == 0
    assert os.environ["ALPHA_TEST_FROM_FILE"] == "file"
    assert os.environ["ALPHA_TEST_REAL"] == "real"


# --------------------------------------------------------------------------- listing and eval


def test_scenarios_lists_every_bundled_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """`alpha scenarios` shows each bundled scenario's name."""
    code, out, _ = _run(capsys, "scenarios")
    assert code == 0
    for name in scenario_names():
        assert name in out


def test_eval_reports_invalid_files_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An invalid scenario is named with its field on stderr; the exit status is non-zero."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "bad.json").write_text(json.dumps({"name": "bad", "incident": _payload()}))
    code, out, err = _run(capsys, "eval", str(folder), "--json")
    assert code != 0
    assert "bad.json: description: missing required field" in err
    assert "Traceback" not in err
    assert json.loads(out) == {"cases": [], "top1": 0.0, "top3": 0.0, "by_category": {}}


def test_eval_of_a_bare_payload_says_it_is_not_a_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A plain incident payload given to eval is "not a scenario", not 14 missing fields."""
    (tmp_path / "payload.json").write_text(json.dumps(_payload()))
    code, _, err = _run(capsys, "eval", str(tmp_path / "payload.json"))
    assert code == 2
    assert err.startswith("alpha: ") and "payload.json: not a scenario" in err
    assert "missing required field" not in err and err.count("\n") == 1


def test_eval_table_shows_every_accepted_category(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A case accepting two categories shows both in the "expected" column."""
    case = json.loads((scenario_dir() / "incident_b.json").read_text())
    case["expected"]["category"] = ["config_change", "code_regression"]
    (tmp_path / "two.json").write_text(json.dumps(case))
    code, out, _ = _run(capsys, "eval", str(tmp_path / "two.json"))
    assert code == 0
    assert "config_change | code_regression" in out


def test_eval_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is reported and fails the run."""
    code, out, err = _run(capsys, "eval", "nowhere")
    assert code != 0
    assert "alpha: nowhere: no such file or folder" in err
    assert out == ""  # no empty table under the error


# --------------------------------------------------------------------------- with the engine


def test_eval_bundled_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`alpha eval DIR --json` prints one object with the spec's keys; a bad file fails it."""
    folder = tmp_path / "cases"
    shutil.copytree(scenario_dir(), folder, ignore=shutil.ignore_patterns("*.py", "tools"))
    (folder / "zz-broken.json").write_text("{")
    code, out, err = _run(capsys, "eval", str(folder), "--json")
    assert code == 2
    assert "zz-broken.json: invalid JSON at line 1" in err
    document = json.loads(out)
    assert set(document) == {"cases", "top1", "top3", "by_category"}
    assert [c["name"] for c in document["cases"]] == sorted(scenario_names())
    for case in document["cases"]:
        assert set(case) == {"name", "rank", "expected", "predicted", "elapsed_ms"}
        assert case["rank"] is None or case["rank"] >= 1
        for predicted in case["predicted"]:
            assert set(predicted) == {"label", "category", "suspects", "score"}


def test_eval_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The human eval output is a table with the totals."""
    code, out, _ = _run(capsys, "eval", str(scenario_dir() / "incident_b.json"))
    assert code == 0
    assert "incident_b" in out and "top-1" in out and "By category" in out


def test_investigate_scenario_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` prints only the ExecutionResult as JSON."""
    code, out, _ = _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    assert code == 0
    result = ExecutionResult.model_validate_json(out)
    assert result.deployment_id == "deploy-2026-11-20-1402"
    assert result.ranked_hypotheses


def test_investigate_payload_file_and_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scenario file given as --payload, and the same on stdin, are investigated."""
    path = scenario_dir() / "cart-redis-refused.json"
    code, out, _ = _run(capsys, "investigate", "--payload", str(path))
    assert code == 0
    assert out.startswith("What broke  ")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    code, out, _ = _run(capsys, "investigate", "--payload", "-", "--json")
    assert code == 0
    assert ExecutionResult.model_validate_json(out).deployment_id == "cart-service:4.7.0"


def test_demo_prints_the_verdict_first_then_ranked_causes_with_evidence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`alpha demo` runs offline: the verdict's three lines first, then the ranked causes
    (the tie marked), the evidence of the first and the next actions; progress on stderr."""
    code, out, err = _run(capsys, "demo")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "What broke  database.pool_size lowered 50 -> 10 (config change)"
    assert lines[1].startswith("How sure    tie at 1.00 with #2, both acted on: Commit 5ae6cd2")
    assert lines[2] == "Do now      Restore database.pool_size 10 -> 50 (changed in 5ae6cd2)"
    assert "  1  1.00 = config change" in out and "  2  1.00 = code regression" in out
    assert re.search(r"^  sig_\d{3} database.pool_size changed 50 -> 10", out, re.M)
    assert "  2. Revert commit 5ae6cd2 (it also changed database.max_overflow)" in out
    assert "run completed" in err and "parsed 355 log lines" in err


# --------------------------------------------------------------------------- installed script


def test_installed_script_reports_bad_payload_without_traceback(
    tmp_path: Path, alpha_script: Path
) -> None:
    """The installed `alpha` script exits 2 with one line for a bad payload."""
    script = alpha_script
    (tmp_path / "payload.json").write_text(json.dumps(_payload(deploy_id="x")))
    done = subprocess.run(
        [script, "investigate", "--payload", "payload.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "alpha: payload.json: unknown key 'deploy_id'\n"
    assert done.stdout == ""


def test_explain_shows_rules_agents_and_cited_evidence(capsys) -> None:
    """`--explain` prints, per ranked hypothesis, its rules, agents, score and each citation."""
    code, out, _ = _run(capsys, "investigate", "--scenario", "incident_b", "--explain")
    assert code == 0
    why = out.split("\nWhy\n", 1)[1]
    assert "#1 database.pool_size lowered 50 -> 10" in why
    assert "rules: config_agent._weigh_change" in why
    assert "agreement of 4 agents" in why
    assert re.search(r"sig_\d{3} \[config_change\] database.pool_size changed 50 -> 10", why)

"""The history commands of `alpha`, in-process and as the installed script."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from alpha.schemas import ExecutionResult
from sre.cli import main
from sre.evaluation import match_rank
from sre.history.recorder import record_run
from sre.history.records import RunContext
from sre.history.store import open_store
from sre.payload import Expected
from tests.sre.history.conftest import incident, result


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (no .env) and a database file of this test's own."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("ALPHA_DATABASE_URL", url)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_investigate_records_unless_no_store(capsys: pytest.CaptureFixture[str]) -> None:
    """`alpha investigate` records the run; `--no-store` does not."""
    code, out, err = _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    assert code == 0, err
    investigated = json.loads(out)["execution_id"]
    assert _run(capsys, "investigate", "--scenario", "incident_b", "--no-store", "--json")[0] == 0
    runs = _json(capsys, "history")["runs"]
    assert [r["execution_id"] for r in runs] == [investigated]
    assert runs[0]["trigger"] == "cli" and runs[0]["origin"].startswith("cli@")
    assert runs[0]["top_category"] == "config_change"


def test_show_prints_the_stored_run(capsys: pytest.CaptureFixture[str]) -> None:
    """`alpha show PREFIX` prints the stored result and the payload's caps; --json has it all."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    execution_id = _json(capsys, "history")["runs"][0]["execution_id"]
    code, out, _ = _run(capsys, "show", execution_id[:6])
    assert code == 0
    assert f"execution {execution_id}" in out and "payload: stored whole" in out
    assert "database.pool_size lowered 50 -> 10" in out
    shown = _json(capsys, "show", execution_id)
    assert shown["result"]["execution_id"] == execution_id
    assert shown["payload_cuts"]["log_lines_dropped"] == 0


def test_round_trip_investigate_wrong_export_eval(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """investigate -> wrong (the real cause) -> export-cases -> alpha eval scores the new case."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    execution_id = _json(capsys, "history")["runs"][0]["execution_id"]
    verdict = _json(
        capsys,
        "feedback",
        execution_id,
        "--wrong",
        "--category",
        "code_regression",
        "--suspect",
        "5ae6cd2",
        "--note",
        "the commit, not the pool",
    )
    assert (verdict["verdict"], verdict["category"]) == ("wrong", "code_regression")
    assert _json(capsys, "history")["runs"][0]["verdict"] == "wrong"
    exported = _json(capsys, "export-cases", str(tmp_path / "cases"))
    assert len(exported["written"]) == 1 and exported["skipped"] == []
    report = _json(capsys, "eval", str(tmp_path / "cases"))
    (case,) = report["cases"]
    assert case["expected"] == {"category": "code_regression", "suspects": ["5ae6cd2"]}
    # Same engine, same payload: the case is scored where the stored run ranked the cause.
    stored = ExecutionResult.model_validate(_json(capsys, "show", execution_id)["result"])
    expected = Expected(category="code_regression", suspects=["5ae6cd2"])
    assert case["rank"] == match_rank(stored.ranked_hypotheses, expected)
    assert case["rank"] is not None and case["rank"] > 1  # wrong at #1, as the verdict said


def test_replay_reports_an_unchanged_ranking_and_records_the_replay(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Replaying with the same engine changes nothing, exits 0 and records a linked run."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    original = _json(capsys, "history")["runs"][0]["execution_id"]
    replay = _json(capsys, "replay", original)
    assert replay["replay_of"] == original and replay["recorded"] is True
    assert replay["changed"] is False
    assert {c["change"] for c in replay["changes"]} == {"same"}
    assert replay["engine_then"] == replay["engine_now"]
    runs = _json(capsys, "history")["runs"]
    assert runs[0]["replay_of"] == original and runs[0]["trigger"] == "replay"


def test_replay_shows_what_changed(capsys: pytest.CaptureFixture[str]) -> None:
    """A stored ranking that differs from today's is reported change by change, exit 0."""
    from sre.scenarios import load_bundled

    url = os.environ["ALPHA_DATABASE_URL"]
    # Recorded with a ranking today's engine does not give: the same top conclusion with
    # another score, and a commit it does not suspect.
    stale = result("stale1", deployment_id="deploy-2026-11-20-1402")
    payload = load_bundled("incident_b").incident
    assert record_run(url, payload, stale, RunContext(trigger="cli")) is None
    code, out, _ = _run(capsys, "replay", "stale1", "--no-store")
    assert code == 0 and "The ranking changed below the top hypothesis." in out
    replay = _json(capsys, "replay", "stale1", "--no-store")
    assert replay["changed"] is True and replay["top_changed"] is False
    assert replay["recorded"] is False
    changes = [(c["change"], c["before_rank"], c["after_rank"]) for c in replay["changes"]]
    assert changes[0] == ("rescored", 1, 1)
    assert ("gone", 2, None) in changes
    assert any(kind == "new" for kind, _, _ in changes)


def test_feedback_refuses_bad_input_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown runs, a rank out of range and a suspect without category are one-line errors."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    execution_id = _json(capsys, "history")["runs"][0]["execution_id"]
    for argv, message in (
        (("feedback", "nope", "--correct"), "alpha: execution 'nope': no such run"),
        ((("feedback", execution_id, "--correct", "--rank", "9")), "alpha: --rank: the run ranked"),
        ((("feedback", execution_id, "--wrong", "--suspect", "x")), "alpha: --suspect: give"),
    ):
        code, _, err = _run(capsys, *argv)
        assert code == 2 and err.startswith(message) and err.count("\n") == 1, err


def test_calibration_from_feedback_and_an_eval_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Feedback and an `alpha eval --json` report both become calibration samples."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    execution_id = _json(capsys, "history")["runs"][0]["execution_id"]
    _json(capsys, "feedback", execution_id, "--correct")
    report = tmp_path / "eval.json"
    report.write_text(
        json.dumps(
            {
                "cases": [
                    {
                        "expected": {"category": "database"},
                        "predicted": [
                            {"label": "x", "category": "database", "suspects": [], "score": 0.55}
                        ],
                    }
                ]
            }
        )
    )
    calibration = _json(capsys, "calibration", "--eval-report", str(report))
    assert calibration["by_source"]["eval"] == 1 and calibration["by_source"]["feedback"] >= 2
    assert calibration["ece"] is not None


def test_purge_deletes_runs_older_than_the_cut(capsys: pytest.CaptureFixture[str]) -> None:
    """`purge --older-than 0` deletes every run; with the 90-day default, a new run stays."""
    _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    assert _json(capsys, "purge")["runs"] == 0
    assert _json(capsys, "purge", "--older-than", "0")["runs"] == 1
    assert _json(capsys, "history")["runs"] == []


def test_a_bad_database_url_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed ALPHA_DATABASE_URL is one line naming it, exit 2."""
    monkeypatch.setenv("ALPHA_DATABASE_URL", "mysql://x@y/z")
    code, _, err = _run(capsys, "history")
    assert code == 2 and err.startswith("alpha: ALPHA_DATABASE_URL:") and err.count("\n") == 1


def test_an_unreachable_database_does_not_fail_the_investigation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result is printed and the exit status is 0; stderr says the run was not recorded."""
    monkeypatch.setenv("ALPHA_DATABASE_URL", "postgresql://alpha:pw@127.0.0.1:9/alpha")
    code, out, err = _run(capsys, "investigate", "--scenario", "incident_b", "--json")
    assert code == 0 and json.loads(out)["ranked_hypotheses"]
    assert err.startswith("alpha: history: run not recorded: history database") and ":9" in err
    assert "pw@" not in err


def test_record_run_writes_the_run_with_its_payload(tmp_path: Path) -> None:
    """`record_run` stores the run, its service and its (redacted) payload."""
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    assert record_run(url, incident(), result("rec1"), RunContext(trigger="cli")) is None

    async def stored() -> Any:
        async with open_store(url) as store:
            return await store.get("rec1"), await store.payload("rec1")

    run, payload = asyncio.run(stored())
    assert run is not None and run.summary.service == "checkout-api"
    assert payload is not None and payload.incident.logs == incident().logs


def test_the_installed_script_records_and_lists(alpha_script: Path, tmp_path: Path) -> None:
    """`alpha investigate` then `alpha history --json` as real processes."""
    env = {**os.environ, "ALPHA_DATABASE_URL": f"sqlite:///{tmp_path / 'script.db'}"}
    subprocess.run(
        [str(alpha_script), "investigate", "--scenario", "incident_b", "--json"],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    listed = subprocess.run(
        [str(alpha_script), "history", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert len(json.loads(listed.stdout)["runs"]) == 1

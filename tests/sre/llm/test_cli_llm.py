"""`alpha investigate --llm` and `alpha eval --llm` against the loopback fake endpoint."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from sre.agents.roster import AGENT_NAMES
from sre.cli import main
from sre.scenarios import load_all, scenario_dir
from tests.fakes.llm_server import FakeLLMServer, RecordedRequest, Reply

LLM_SETTINGS = (
    "OPENROUTER_API_KEY",
    "ALPHA_LLM_BASE_URL",
    "ALPHA_LLM_MODEL",
    "ALPHA_LLM_TIMEOUT",
    "ALPHA_LLM_RETRIES",
    "ALPHA_PROMPT_BUDGET",
    "ALPHA_TOKEN_CAP",
    "ALPHA_MODEL_LOGAGENT",
    "ALPHA_MODEL_METRICSAGENT",
    "ALPHA_MODEL_COMMITAGENT",
    "ALPHA_MODEL_CONFIGAGENT",
)


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder (no .env) with no LLM configured."""
    monkeypatch.chdir(tmp_path)
    for name in LLM_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def cite_first(request: RecordedRequest) -> Reply:
    """A model answering one hypothesis on the first signal it was shown."""
    ids = re.findall(r"^(sig_\d{3}) \[", request.user, re.MULTILINE)
    hypothesis = {
        "label": "Model view",
        "category": "unknown",
        "suspects": [],
        "confidence": 0.3,
        "severity": "low",
        "supporting_signals": ids[:1],
    }
    return Reply.json(
        {"hypotheses": [hypothesis]}, usage={"prompt_tokens": 10, "completion_tokens": 2}
    )


def test_llm_flag_without_configuration_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--llm` with no key and no endpoint exits 2 with one line naming what to set."""
    scenario = load_all()[0].name
    code = main(["investigate", "--scenario", scenario, "--llm", "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "OPENROUTER_API_KEY or ALPHA_LLM_BASE_URL" in err


def test_malformed_llm_setting_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad ALPHA_PROMPT_BUDGET is reported by name, not as a traceback."""
    monkeypatch.setenv("ALPHA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ALPHA_PROMPT_BUDGET", "tiny")
    code = main(["eval", "--llm", "--json", "nowhere"])
    err = capsys.readouterr().err
    assert code == 2 and "ALPHA_PROMPT_BUDGET" in err and "Traceback" not in err


async def test_investigate_llm_json_records_usage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`investigate --llm --json` asks every agent's model and reports tokens per agent."""
    scenario = load_all()[0].name
    async with FakeLLMServer(default=cite_first) as server:
        monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("ALPHA_LLM_MODEL", "local/model")
        argv = ["investigate", "--scenario", scenario, "--llm", "--json"]
        code = await asyncio.to_thread(main, argv)
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert server.request_count == len(AGENT_NAMES)
    assert {r.model for r in server.requests} == {"local/model"}
    assert result["usage"]["prompt_tokens"] == 10 * len(AGENT_NAMES)
    assert all(o["usage"]["calls"] == 1 for o in result["agent_outcomes"])


async def test_eval_llm_runs_every_scenario_through_the_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`eval --llm --json` keeps the spec's JSON shape and calls the model per agent."""
    scenarios_dir = scenario_dir()
    target = str(sorted(scenarios_dir.glob("*.json"))[0])
    async with FakeLLMServer(default=cite_first) as server:
        monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
        code = await asyncio.to_thread(main, ["eval", "--llm", "--json", target])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(report) == {"cases", "top1", "top3", "by_category"}
    assert len(report["cases"]) == 1
    assert server.request_count == len(AGENT_NAMES)


async def test_investigate_llm_report_shows_fallbacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The printed report says which agents fell back and why."""
    scenario = load_all()[0].name
    async with FakeLLMServer(default=Reply.http_error(402)) as server:
        monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
        code = await asyncio.to_thread(main, ["investigate", "--scenario", scenario, "--llm"])
    out = capsys.readouterr().out
    assert code == 0
    missing = [line for line in out.splitlines() if line.startswith("Missing")]
    assert missing == [
        "Missing     LLM not used, rules instead for 6 agents (LogAgent, MetricsAgent, "
        "CommitAgent, ConfigAgent +2 more): LLM out of credit (HTTP 402)"
    ]

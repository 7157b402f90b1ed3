"""The CLI as the boundary's user sees it: canaries planted everywhere never print.

A payload carrying the whole canary corpus (logs, commit messages, patches, nested config,
Sentry-style lines, the deployment id) is investigated in-process; text output, `--json`,
`--show-prompt` and the prompts a fake LLM receives hold no 12-character fragment of any
canary, while `--reveal` shows that the evidence did carry them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from sre.agents.roster import AGENT_NAMES
from sre.cli import main
from sre.scenarios import scenario_dir
from tests.canaries import canary_corpus, leaks, planted_incident
from tests.fakes.llm_server import FakeLLMServer

CORPUS = canary_corpus()
ENV_PREFIXES = ("ALPHA_", "OPENROUTER_", "GITHUB_", "SENTRY_", "HTTP_PROXY", "HTTPS_PROXY")


@pytest.fixture(autouse=True)
def _clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty folder (no .env), no LLM, live source or proxy configured."""
    import os

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """The demo incident with every canary planted, as a payload file."""
    base = json.loads((scenario_dir() / "incident_b.json").read_text())["incident"]
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(planted_incident(CORPUS, base)))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _leaked(output: str) -> dict[str, list[str]]:
    return {c.name: found for c in CORPUS if (found := leaks(c, output))}


def test_text_output_shows_no_canary_and_counts_what_it_hid(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The terminal report (live lines, ranking, evidence, footer) leaks nothing."""
    code, out = _run(capsys, "investigate", "--payload", str(planted))
    assert code == 0
    assert _leaked(out) == {}
    footer = [line for line in out.splitlines() if " signals · " in line]
    assert len(footer) == 1 and "secrets redacted" in footer[0]
    assert "database.pool_size" in out  # the analysis itself is intact


def test_json_output_shows_no_canary_but_reveal_does(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json` is redacted by default; `--reveal` prints raw values, proving the evidence
    carried them (at least 50 of the corpus reach the JSON)."""
    code, out = _run(capsys, "investigate", "--payload", str(planted), "--json")
    assert code == 0 and _leaked(out) == {}
    result = json.loads(out)
    assert result["ranked_hypotheses"][0]["suspects"][0] == "database.pool_size"
    code, raw = _run(capsys, "investigate", "--payload", str(planted), "--json", "--reveal")
    assert code == 0
    assert len(_leaked(raw)) >= 50


def test_a_deployment_id_cannot_forge_a_line(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newline and U+202E in the deployment id never start a line of their own."""
    _, out = _run(capsys, "investigate", "--payload", str(planted))
    assert not any(line.lstrip().startswith("#1 forged") for line in out.splitlines())
    assert "\u202e" not in out and "\x1b" not in out
    _, raw = _run(capsys, "investigate", "--payload", str(planted), "--reveal")
    assert not any(line.lstrip().startswith("#1 forged") for line in raw.splitlines())


def test_show_prompt_prints_the_redacted_prompts_and_sends_nothing(
    planted: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--show-prompt` prints one prompt per agent, fenced and redacted, and makes no call
    even when an endpoint is configured."""

    async def scenario() -> tuple[int, str, int]:
        async with FakeLLMServer() as server:
            monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
            monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-" + "0" * 64)
            code, out = await asyncio.to_thread(
                _run, capsys, "investigate", "--payload", str(planted), "--show-prompt"
            )
            return code, out, server.request_count

    code, out, requests = asyncio.run(scenario())
    assert code == 0 and requests == 0
    assert out.startswith(f"{len(AGENT_NAMES)} prompts, not sent (--show-prompt)")
    assert (
        out.count("--- system") == len(AGENT_NAMES) and "SIGNALS" in out and "<<<BEGIN DATA-" in out
    )
    assert _leaked(out) == {}
    assert "[REDACTED:" in out


async def test_llm_mode_sends_no_canary_to_the_model(
    planted: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--llm` against a fake endpoint: the bytes it received hold no canary fragment."""
    async with FakeLLMServer() as server:
        monkeypatch.setenv("ALPHA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("ALPHA_LLM_RETRIES", "0")
        code, out = await asyncio.to_thread(
            _run, capsys, "investigate", "--payload", str(planted), "--llm", "--json"
        )
        bodies = b"".join(request.raw for request in server.requests).decode()
    assert code == 0 and server.request_count >= 4
    assert _leaked(bodies) == {}
    assert _leaked(out) == {}
    assert bodies.count("[REDACTED:") >= 20


def test_payload_errors_are_redacted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An invalid payload's one-line error quotes no secret."""
    token = next(c for c in CORPUS if c.variant == "ghp").secret
    bad: dict[str, Any] = {"deployment_id": "d", "logs": [], "metrics": {}, "config_snapshot": {}}
    bad["recent_commits"] = [{"sha": token, "message": "x"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    code, out = _run(capsys, "investigate", "--payload", str(path))
    assert code == 2 and "recent_commits" in out
    assert token[:12] not in out

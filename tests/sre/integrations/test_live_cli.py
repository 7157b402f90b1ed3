"""End to end: fake Sentry and GitHub -> the `alpha` command line -> ranked result.

The CLI runs in a subprocess (the real entry point, settings read from its environment)
while the loopback fakes are served by this test's event loop. No LLM key is given, so the
agents use their deterministic analysis.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from alpha.schemas import IncidentInput
from sre.integrations.assembler import assemble
from tests.fakes.github_server import SHA_CULPRIT, FakeGitHub, checkout_repo, integration_settings
from tests.fakes.sentry_server import FakeSentry, checkout_sentry

ROOT = Path(__file__).resolve().parents[3]


def _env(github: FakeGitHub, sentry: FakeSentry) -> dict[str, str]:
    """A clean environment: only what the CLI needs, so no real key or host can leak in."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "SENTRY_URL": sentry.url,
        "SENTRY_AUTH_TOKEN": sentry.token,
        "SENTRY_ORG": sentry.data.org,
        "SENTRY_PROJECT": sentry.data.project_slug,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.token,
        "GITHUB_REPOSITORY": f"{github.data.owner}/{github.data.name}",
        "ALPHA_CONFIG_PATHS": "config/production.yaml,.env.production",
        "ALPHA_HTTP_RETRIES": "0",
        "ALPHA_GITHUB_THROTTLE": "0",
    }


async def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sre",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _mentions_culprit(hypothesis: dict[str, Any]) -> bool:
    text = " ".join(
        [hypothesis.get("label", ""), hypothesis.get("description", "")]
        + list(hypothesis.get("suspects", []))
    )
    return SHA_CULPRIT[:7] in text


async def test_investigate_deployment_ranks_the_culprit_commit_first(tmp_path: Path) -> None:
    """`alpha investigate 102 --json` on the fakes' bad deploy ranks the culprit commit first."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        code, out, err = await _run_cli(
            ["investigate", "102", "--json"], _env(github, sentry), tmp_path
        )
    assert code == 0, err
    result = json.loads(out)
    assert result["deployment_id"] == "102"
    assert result["gaps"] == []
    top = result["ranked_hypotheses"][0]
    assert _mentions_culprit(top), json.dumps(result["ranked_hypotheses"][:3], indent=1)


async def test_fetch_prints_the_assembled_payload(tmp_path: Path) -> None:
    """`alpha fetch 102` prints a payload equal to what the assembler builds in-process."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        code, out, err = await _run_cli(["fetch", "102"], _env(github, sentry), tmp_path)
        direct = await assemble("102", integration_settings(github, sentry))
    assert code == 0, err
    assert IncidentInput.model_validate(json.loads(out)) == direct.incident


async def test_unknown_deployment_is_a_one_line_error(tmp_path: Path) -> None:
    """An unknown deployment exits non-zero with a one-line message, no traceback."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        code, out, err = await _run_cli(["fetch", "777"], _env(github, sentry), tmp_path)
    assert code != 0
    assert out == ""
    assert "deployment '777' not found in acme/checkout-api" in err
    assert "Traceback" not in err


async def test_fetch_redacts_the_payload_unless_revealed(tmp_path: Path) -> None:
    """`alpha fetch` prints secrets from commits and config as placeholders (the payload
    still validates and replays); `--reveal` prints them as they are."""
    token = "ghp_Zk3p9QvL2mX8rT4wA1b2C3d4E5f6G7h8I9j0"
    repo = checkout_repo()
    culprit = next(c for c in repo.history if c.sha == SHA_CULPRIT)
    culprit.message += f"\n\nused GITHUB_TOKEN={token} to test"
    async with FakeGitHub(repo) as github, FakeSentry(checkout_sentry()) as sentry:
        code, out, err = await _run_cli(["fetch", "102"], _env(github, sentry), tmp_path)
        _, raw, _ = await _run_cli(["fetch", "102", "--reveal"], _env(github, sentry), tmp_path)
    assert code == 0, err
    assert token[:12] not in out and "[REDACTED:" in out
    IncidentInput.model_validate(json.loads(out))
    assert token in raw

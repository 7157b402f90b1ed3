"""Assembly of an IncidentInput from the loopback fake GitHub and Sentry."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from alpha.schemas import CommitFile, IncidentInput, MetricPoints
from sre.integrations.assembler import Assembly, Tuning, assemble, assemble_from_sentry_issue
from tests.fakes.github_server import (
    SHA_CULPRIT,
    SHA_DEPLOY,
    SHA_PREV,
    FakeGitHub,
    checkout_repo,
    integration_settings,
)
from tests.fakes.sentry_server import DEPLOYED_AT, FakeSentry, Fault, checkout_sentry

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()


async def _no_sleep(_: float) -> None:
    return None


TUNING = Tuning(sleep=_no_sleep, clock=lambda: NOW)


async def _assemble(
    github: FakeGitHub | None, sentry: FakeSentry | None, ident: str = "102", **kw: Any
) -> Assembly:
    return await assemble(ident, integration_settings(github, sentry, **kw), tuning=TUNING)


async def test_deployment_id_assembles_a_complete_payload() -> None:
    """A GitHub deployment id yields a valid payload from both sources, with no gaps."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        result = await _assemble(github, sentry)
    assert result.error is None
    assert result.gaps == []
    incident = result.incident
    assert incident is not None
    assert incident.deployment_id == "102"
    assert (incident.service, incident.environment) == ("checkout-api", "production")
    assert incident.deployed_at == DEPLOYED_AT
    assert incident.incident_started_at == datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)
    assert [c.sha for c in incident.recent_commits][-2:] == [SHA_CULPRIT, SHA_DEPLOY]
    cart = incident.recent_commits[1].files[0]
    assert isinstance(cart, CommitFile) and cart.filename == "checkout/cart.py"
    assert (
        "2026-11-20T17:00:00Z ERROR KeyError: 'sku' (checkout/cart.py in apply_discount line 42)"
        in incident.logs
    )
    assert '  File "checkout/cart.py", line 42, in apply_discount' in incident.logs
    assert isinstance(incident.metrics["sentry_errors_per_interval"], MetricPoints)
    assert incident.config_snapshot["database"]["pool_size"] == 20
    assert incident.previous_config_snapshot == incident.config_snapshot
    # The payload survives a JSON round trip (what `alpha fetch` prints and --payload reads).
    again = IncidentInput.model_validate(json.loads(incident.model_dump_json(exclude_none=True)))
    assert again == incident


async def test_sentry_issue_leads_to_the_same_payload() -> None:
    """From a Sentry issue id: release -> GitHub deployment -> the very same payload."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        settings = integration_settings(github, sentry)
        direct = await assemble("102", settings, tuning=TUNING)
        via_issue = await assemble_from_sentry_issue("4512345678", settings, tuning=TUNING)
    assert via_issue.error is None
    assert via_issue.incident == direct.incident


async def test_unknown_sentry_issue_gets_a_clear_error() -> None:
    """An issue id Sentry does not know yields no incident and a message naming it."""
    async with FakeSentry(checkout_sentry()) as sentry:
        result = await assemble_from_sentry_issue(
            "123", integration_settings(sentry=sentry), tuning=TUNING
        )
    assert result.incident is None
    assert result.error == "Sentry issue '123' not found in acme"


async def test_sentry_issue_path_reports_each_step_and_a_failure() -> None:
    """From a Sentry issue, the issue lookup and the release's deployment are reported before
    the deployment's own steps; an unknown issue ends Sentry's line with the error."""
    steps: list[tuple[str, str, bool, bool]] = []

    def progress(name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        steps.append((name, message, done, failed))

    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        settings = integration_settings(github, sentry)
        found = await assemble_from_sentry_issue(
            "4512345678", settings, tuning=TUNING, progress=progress
        )
        assert found.incident is not None
        assert steps[:2] == [
            ("Sentry", "looking up issue 4512345678", False, False),
            ("GitHub", "finding the deployment of release v1.4.1", False, False),
        ]
        assert ("GitHub", "resolving 102", False, False) in steps
        assert {(n, d) for n, _, d, _ in steps if d} == {("GitHub", True), ("Sentry", True)}
        steps.clear()
        missing = await assemble_from_sentry_issue(
            "123", settings, tuning=TUNING, progress=progress
        )
    assert missing.error == "Sentry issue '123' not found in acme"
    assert steps[-1] == ("Sentry", "Sentry issue '123' not found in acme", False, True)


async def test_sentry_failure_is_a_gap_and_github_evidence_remains() -> None:
    """Persistent Sentry 503s become a gap; commits and config still make the payload."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        sentry.faults.add(Fault(r"/issues/$", status=503, times=None))
        result = await _assemble(github, sentry, http_retries=2)
    assert result.incident is not None
    assert result.gaps == ["Sentry unreachable: HTTP 503 after 3 tries"]
    assert len(result.incident.recent_commits) == 3
    assert result.incident.logs == []


async def test_github_auth_failure_falls_back_to_sentry_release() -> None:
    """A bad GitHub token is a gap; a release id still assembles Sentry's evidence."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        result = await _assemble(github, sentry, "v1.4.1", github_token="ghp_revoked")
    assert result.gaps == ["GitHub: authentication failed (HTTP 401) — check GITHUB_TOKEN"]
    incident = result.incident
    assert incident is not None
    assert incident.deployed_at == DEPLOYED_AT  # from Sentry's deploy record of the release
    assert incident.environment == "production"
    assert incident.recent_commits == []
    assert any("KeyError" in line for line in incident.logs)


async def test_github_timeout_with_unknown_release_gives_clear_error() -> None:
    """When GitHub times out and Sentry knows no such release, the error says both."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        github.faults.add(Fault(r"/deployments/102$", status=200, delay_s=1.5))
        result = await _assemble(github, sentry, http_timeout=1.0)
    assert result.incident is None
    assert result.error == (
        "could not resolve deployment '102': GitHub unreachable: timed out after 1 try"
    )


async def test_unknown_deployment_gets_a_clear_message() -> None:
    """An id nobody knows: no incident, and a message naming the repository."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        result = await _assemble(github, sentry, "777")
    assert result.incident is None
    assert (
        result.error == "deployment '777' not found in acme/checkout-api (nor as a Sentry release)"
    )


async def test_unconfigured_source_is_a_gap() -> None:
    """Without GitHub settings the payload is Sentry-only and the gap names the settings."""
    async with FakeSentry(checkout_sentry()) as sentry:
        result = await _assemble(None, sentry, "v1.4.1")
    assert result.gaps == ["GitHub not configured (GITHUB_TOKEN, GITHUB_REPOSITORY)"]
    assert result.incident is not None
    assert result.incident.service == "checkout-api"
    assert result.incident.incident_started_at is not None


async def test_nothing_configured_is_an_error_not_a_crash() -> None:
    """With no source configured the caller gets a message, not an exception."""
    result = await _assemble(None, None)
    assert result.incident is None
    assert result.error is not None and "no live source configured" in result.error
    assert len(result.gaps) == 2


async def test_blank_deployment_id_is_refused() -> None:
    """A blank id is an error naming the problem."""
    result = await _assemble(None, None, "   ")
    assert (result.incident, result.error) == (None, "deployment id is empty")


async def test_unparsable_config_is_a_gap_and_the_rest_is_kept() -> None:
    """A config file that fails to parse is named in a gap; the other file still counts."""
    async with FakeGitHub(checkout_repo(env_file_at_prev="OK=1\nnot a line\n=x\n")) as github:
        github.data.contents[("config/production.yaml", SHA_PREV)] = "a: b: c\n"
        result = await _assemble(github, None)
    assert result.incident is not None
    assert any("'config/production.yaml' is not valid yaml" in gap for gap in result.gaps)
    assert result.incident.previous_config_snapshot is not None
    assert "database" not in result.incident.previous_config_snapshot
    assert result.incident.config_snapshot["database"]["pool_size"] == 20


async def test_sentry_timeout_during_gather_is_a_gap() -> None:
    """A Sentry that stops answering after resolution costs only its own evidence."""
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        sentry.faults.add(Fault(r"/issues/$", status=200, delay_s=1.0, times=None))
        result = await _assemble(github, sentry, http_timeout=0.3)
    assert result.incident is not None
    assert result.gaps == ["Sentry unreachable: timed out after 1 try"]
    assert len(result.incident.recent_commits) == 3


async def test_tokens_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    """With every logger at DEBUG, neither token appears in any log record."""
    caplog.set_level(logging.DEBUG)
    async with FakeGitHub(checkout_repo()) as github, FakeSentry(checkout_sentry()) as sentry:
        sentry.faults.add(Fault(r"/issues/$", status=503))
        result = await _assemble(github, sentry, http_retries=1)
    assert result.incident is not None
    assert caplog.records  # PyGithub and urllib3 did log at DEBUG
    assert github.token not in caplog.text
    assert sentry.token not in caplog.text

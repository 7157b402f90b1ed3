"""Links and identity from the live sources, and what each source says while it works."""

from __future__ import annotations

from datetime import UTC, datetime

from sre.integrations.assembler import Tuning, assemble
from tests.fakes.github_server import (
    SHA_CULPRIT,
    SHA_DEPLOY,
    FakeGitHub,
    checkout_repo,
    integration_settings,
)
from tests.fakes.sentry_server import FakeSentry, checkout_sentry

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()


async def _no_sleep(_: float) -> None:
    return None


async def test_commits_get_urls_authors_and_pull_requests_and_issues_their_counts() -> None:
    """GitHub gives each commit its URL, author and pull request (asked for when the message
    names none); Sentry gives each issue its URL, short id, event and user counts."""
    data = checkout_repo()
    data.pulls[SHA_CULPRIT] = 482
    steps: list[tuple[str, str, bool, bool]] = []

    def progress(name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        steps.append((name, message, done, failed))

    async with FakeGitHub(data) as github, FakeSentry(checkout_sentry()) as sentry:
        result = await assemble(
            "102",
            integration_settings(github, sentry),
            tuning=Tuning(sleep=_no_sleep, clock=lambda: NOW),
            progress=progress,
        )
    refs = result.references
    culprit = refs.commit(SHA_CULPRIT[:7])
    assert culprit is not None
    assert culprit.url == f"https://github.example/acme/checkout-api/commit/{SHA_CULPRIT}"
    assert culprit.pr_number == 482
    assert culprit.pr_url == "https://github.example/acme/checkout-api/pull/482"
    assert culprit.author
    deploy = refs.commit(SHA_DEPLOY)
    assert deploy is not None and deploy.pr_number is None
    issue = next(i for i in refs.issues if i.short_id == "CHECKOUT-1F")
    assert (issue.events, issue.users) == (1532, 210)
    assert issue.url is not None and issue.url.endswith(f"/issues/{issue.issue_id}/")
    names = {name for name, *_ in steps}
    assert names == {"GitHub", "Sentry"}
    assert ("GitHub", "resolving 102", False, False) in steps
    assert any(m.startswith("comparing ") for n, m, *_ in steps if n == "GitHub")
    assert any("latest events" in m for n, m, *_ in steps if n == "Sentry")
    assert [s for s in steps if s[2]] == [
        ("GitHub", f"{len(result.incident.recent_commits)} commits", True, False),  # type: ignore[union-attr]
        ("Sentry", next(s[1] for s in steps if s[0] == "Sentry" and s[2]), True, False),
    ]


async def test_a_failing_source_says_so_as_it_happens() -> None:
    """A source that fails reports the failure (the same sentence as its gap)."""
    steps: list[tuple[str, str, bool]] = []

    def progress(name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        steps.append((name, message, failed))

    async with FakeGitHub(checkout_repo()) as github:
        result = await assemble(
            "102",
            integration_settings(
                github,
                None,
                sentry_url="http://127.0.0.1:9",
                sentry_auth_token="t",
                sentry_org="o",
                sentry_project="1",
            ),
            tuning=Tuning(sleep=_no_sleep, clock=lambda: NOW),
            progress=progress,
        )
    failed = [(n, m) for n, m, f in steps if f]
    assert failed and failed[0][0] == "Sentry"
    assert failed[0][1] in result.gaps

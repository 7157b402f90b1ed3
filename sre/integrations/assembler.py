"""Assemble an `IncidentInput` from live sources: deployment id (or Sentry issue) in, payload out.

GitHub resolves the deployment (sha, environment, time); then the comparison with the
previous revision, the config snapshots and Sentry's issues are fetched concurrently. Any
source that fails becomes a gap sentence shown to the user, and the investigation goes on
with the rest. Nothing here raises for an expected failure: the caller gets an `Assembly`,
with the payload, its gaps and the `References` of its commits and Sentry issues (URLs,
authors, pull requests, event and user counts). A `progress` callback hears what each
source is doing as it happens (the CLI's live panel, the bot's message).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from alpha.schemas import IncidentInput
from sre.integrations import github as gh
from sre.integrations import sentry as se
from sre.integrations.http import (
    Clock,
    NetworkPolicy,
    Sleep,
    UpstreamError,
    UpstreamNotFound,
)
from sre.integrations.settings import IntegrationSettings
from sre.references import References

T = TypeVar("T")


class SourceProgress(Protocol):
    """Hears what a source is doing (`alpha.display.live.LiveDisplay.source` is one).

    Called from the event loop and from PyGithub's threads: it must be thread-safe.
    """

    def __call__(
        self, name: str, message: str, *, done: bool = False, failed: bool = False
    ) -> None: ...


def no_progress(name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
    """A `SourceProgress` that ignores everything."""


@dataclass(frozen=True)
class Assembly:
    """The outcome of assembling a payload.

    Attributes:
        incident: the payload, or None when nothing could be assembled.
        gaps: sentences naming what is missing (unconfigured or failed sources, caps hit).
        error: why `incident` is None, as a message for the user.
        references: links and identity of the payload's commits and Sentry issues.
    """

    incident: IncidentInput | None
    gaps: list[str]
    error: str | None
    references: References = References()


@dataclass(frozen=True)
class Tuning:
    """Test seams and caps; production uses the defaults."""

    sleep: Sleep = asyncio.sleep
    clock: Clock = time.time
    github_caps: gh.GitHubCaps | None = None
    sentry_caps: se.SentryCaps | None = None
    # GitHub's calls retry in their worker thread, where the wait is a blocking one.
    github_sleep: Callable[[float], None] = time.sleep


def _not_configured(source: str, missing: list[str]) -> str:
    return f"{source} not configured ({', '.join(missing)})"


async def _guarded(
    source: str,
    token_setting: str,
    work: Awaitable[T],
    limit_s: float,
    gaps: list[str],
    progress: SourceProgress = no_progress,
) -> T | None:
    """Await one source's work; a failure or overrun becomes a gap (and a failed progress
    line) and None."""
    try:
        async with asyncio.timeout(limit_s):
            return await work
    except UpstreamError as exc:
        gaps.append(exc.describe(source, token_setting))
    except TimeoutError:
        gaps.append(f"{source} unreachable: no complete answer within {limit_s:g} s")
    progress(source, gaps[-1], failed=True)
    return None


def _reporter(progress: SourceProgress, source: str) -> gh.Progress:
    """What one source says, addressed to `progress` under its name."""
    return lambda message: progress(source, message)


async def assemble(
    deployment_id: str,
    settings: IntegrationSettings,
    *,
    tuning: Tuning | None = None,
    progress: SourceProgress = no_progress,
    network: NetworkPolicy | None = None,
) -> Assembly:
    """Build the incident payload of a deployment from GitHub and Sentry.

    Args:
        deployment_id: a GitHub deployment id (digits), or a ref: tag, release name or SHA.
        settings: the integration settings, read once at the entry point.
        tuning: clock/sleep seams and caps (tests); defaults otherwise.
        progress: hears what each source is doing, and when it is done or failed.
        network: proxies and CA bundle of both clients (read from the environment, once,
            when None).

    Returns:
        An `Assembly`; `incident` is None (and `error` says why) only when the deployment
        could not be found or resolved at all.
    """
    tuning = tuning or Tuning()
    deployment_id = deployment_id.strip()
    if not deployment_id:
        return Assembly(None, [], "deployment id is empty")
    gaps: list[str] = []
    use_github, use_sentry = not settings.missing_github(), not settings.missing_sentry()
    if not use_github:
        gaps.append(_not_configured("GitHub", settings.missing_github()))
    if not use_sentry:
        gaps.append(_not_configured("Sentry", settings.missing_sentry()))
    if not (use_github or use_sentry):
        return Assembly(
            None,
            gaps,
            "no live source configured: set GITHUB_TOKEN and GITHUB_REPOSITORY, and/or"
            " SENTRY_AUTH_TOKEN, SENTRY_ORG and SENTRY_PROJECT (or pass --payload FILE)",
        )
    network = network or NetworkPolicy.from_environment()
    async with AsyncExitStack() as stack:
        github = (
            gh.GitHubSource(
                settings, caps=tuning.github_caps, network=network, sleep=tuning.github_sleep
            )
            if use_github
            else None
        )
        if github is not None:
            stack.callback(github.close)
        sentry = None
        if use_sentry:
            session = await stack.enter_async_context(se.sentry_session(settings, network))
            sentry = se.SentryClient(
                settings,
                session,
                caps=tuning.sentry_caps,
                sleep=tuning.sleep,
                clock=tuning.clock,
                network=network,
            )
        return await _assemble(deployment_id, settings, github, sentry, gaps, progress)
    raise AssertionError("unreachable")  # pragma: no cover - keeps type checkers content


async def _assemble(
    deployment_id: str,
    settings: IntegrationSettings,
    github: gh.GitHubSource | None,
    sentry: se.SentryClient | None,
    gaps: list[str],
    progress: SourceProgress,
) -> Assembly:
    timeout = settings.source_timeout
    resolved: gh.ResolvedDeployment | None = None
    not_found: str | None = None
    if github is not None:
        progress(gh.SOURCE, f"resolving {deployment_id}")
        try:
            async with asyncio.timeout(timeout):
                resolved = await github.resolve(deployment_id)
        except UpstreamNotFound as exc:
            not_found = str(exc)
            progress(gh.SOURCE, not_found, failed=True)
        except UpstreamError as exc:
            gaps.append(exc.describe(gh.SOURCE, gh.TOKEN_SETTING))
            progress(gh.SOURCE, gaps[-1], failed=True)
            github = None
        except TimeoutError:
            gaps.append(f"GitHub unreachable: no answer within {timeout:g} s")
            progress(gh.SOURCE, gaps[-1], failed=True)
            github = None

    deployed_at = resolved.created_at if resolved else None
    environment = resolved.environment if resolved else None
    sentry_release_found = False
    if sentry is not None and deployed_at is None:
        # No GitHub deployment time: Sentry's record of the release's deploys may have it.
        version = resolved.ref if resolved else deployment_id
        progress(se.SOURCE, f"looking up release {version}")
        found = await _guarded(
            se.SOURCE,
            se.TOKEN_SETTING,
            sentry.release_deployed_at(version, environment),
            timeout,
            gaps,
            progress,
        )
        if found is None:
            sentry = None  # it failed; the gap is recorded
        elif found[0] is not None:
            deployed_at, environment = found[0], environment or found[1]
            sentry_release_found = True

    if resolved is None and not sentry_release_found:
        return Assembly(None, gaps, _unresolved_message(deployment_id, settings, not_found, gaps))
    if not_found is not None:
        gaps.append(f"GitHub: {not_found}; commits and config not fetched")

    async with asyncio.TaskGroup() as tg:
        gh_task = (
            tg.create_task(
                _guarded(
                    gh.SOURCE,
                    gh.TOKEN_SETTING,
                    github.gather(resolved, _reporter(progress, gh.SOURCE)),
                    timeout,
                    gaps,
                    progress,
                )
            )
            if github is not None and resolved is not None
            else None
        )
        se_task = (
            tg.create_task(
                _guarded(
                    se.SOURCE,
                    se.TOKEN_SETTING,
                    sentry.gather(deployed_at, environment, _reporter(progress, se.SOURCE)),
                    timeout,
                    gaps,
                    progress,
                )
            )
            if sentry is not None
            else None
        )
    github_evidence = gh_task.result() if gh_task is not None else None
    sentry_evidence = se_task.result() if se_task is not None else None
    if github_evidence is not None:
        progress(gh.SOURCE, f"{len(github_evidence.commits)} commits", done=True)
    if sentry_evidence is not None:
        issues = len(sentry_evidence.references)
        progress(se.SOURCE, f"{issues} issues, {len(sentry_evidence.logs)} log lines", done=True)
    return _build(
        deployment_id,
        settings,
        deployed_at,
        environment,
        github_evidence,
        sentry_evidence,
        gaps,
    )


def _unresolved_message(
    deployment_id: str, settings: IntegrationSettings, not_found: str | None, gaps: list[str]
) -> str:
    """Why a deployment id led nowhere, naming where we looked."""
    if not_found is not None:
        message = f"deployment {deployment_id!r} not found in {settings.github_repository}"
        if not settings.missing_sentry():
            message += " (nor as a Sentry release)"
        return message
    if not settings.missing_sentry() and not gaps:
        return (
            f"deployment {deployment_id!r} not found as a Sentry release of {settings.sentry_org}"
        )
    detail = "; ".join(gaps) if gaps else "no source could resolve it"
    return f"could not resolve deployment {deployment_id!r}: {detail}"


def _build(
    deployment_id: str,
    settings: IntegrationSettings,
    deployed_at: datetime | None,
    environment: str | None,
    github: gh.GitHubEvidence | None,
    sentry: se.SentryEvidence | None,
    gaps: list[str],
) -> Assembly:
    payload: dict[str, Any] = {
        "deployment_id": deployment_id,
        "logs": sentry.logs if sentry else [],
        "metrics": sentry.metrics if sentry else {},
        "recent_commits": github.commits if github else [],
        "config_snapshot": github.config_snapshot if github else {},
        "service": settings.service_name,
        "environment": environment,
        "deployed_at": deployed_at,
        "incident_started_at": sentry.incident_started_at if sentry else None,
        "previous_config_snapshot": github.previous_config_snapshot if github else None,
    }
    for evidence in (github, sentry):
        if evidence is not None:
            gaps.extend(evidence.notes)
    try:
        incident = IncidentInput.model_validate(payload)
    except ValidationError as exc:
        # Upstream data we did not anticipate; say which field rather than crash.
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Assembly(None, gaps, f"assembled payload is invalid at {where}: {first['msg']}")
    references = References(
        commits=tuple(github.references) if github else (),
        issues=tuple(sentry.references) if sentry else (),
    )
    return Assembly(incident, gaps, None, references)


def _failed(progress: SourceProgress, error: str) -> Assembly:
    """Nothing assembled: Sentry's line says why, and so does the `Assembly`."""
    progress(se.SOURCE, error, failed=True)
    return Assembly(None, [], error)


async def assemble_from_sentry_issue(
    issue_id: str,
    settings: IntegrationSettings,
    *,
    tuning: Tuning | None = None,
    progress: SourceProgress = no_progress,
    network: NetworkPolicy | None = None,
) -> Assembly:
    """Build the payload of the deployment behind a Sentry issue (what an alert carries).

    The issue's release (from its latest event, else the issue) names the deployment: a
    GitHub deployment of that ref when there is one, else the release version itself; the
    result is then exactly `assemble` of that deployment.
    """
    tuning = tuning or Tuning()
    issue_id = issue_id.strip()
    if not issue_id:
        return Assembly(None, [], "Sentry issue id is empty")
    if settings.missing_sentry():
        gap = _not_configured("Sentry", settings.missing_sentry())
        return Assembly(None, [gap], f"cannot look up Sentry issue {issue_id!r}: {gap}")
    gaps: list[str] = []
    network = network or NetworkPolicy.from_environment()
    progress(se.SOURCE, f"looking up issue {issue_id}")
    async with se.sentry_session(settings, network) as session:
        client = se.SentryClient(
            settings, session, sleep=tuning.sleep, clock=tuning.clock, network=network
        )
        try:
            async with asyncio.timeout(settings.source_timeout):
                origin = await client.origin(issue_id)
        except UpstreamNotFound:
            return _failed(
                progress, f"Sentry issue {issue_id!r} not found in {settings.sentry_org}"
            )
        except UpstreamError as exc:
            return _failed(progress, exc.describe(se.SOURCE, se.TOKEN_SETTING))
        except TimeoutError:
            return _failed(
                progress, f"Sentry unreachable: no answer within {settings.source_timeout:g} s"
            )
    if not origin.release:
        return _failed(
            progress, f"Sentry issue {issue_id!r} carries no release; cannot find its deployment"
        )
    deployment_id = origin.release
    if not settings.missing_github():
        source = gh.GitHubSource(
            settings, caps=tuning.github_caps, network=network, sleep=tuning.github_sleep
        )
        progress(gh.SOURCE, f"finding the deployment of release {origin.release}")
        try:
            async with asyncio.timeout(settings.source_timeout):
                found = await source.resolve_release(origin.release, origin.environment)
            if found.github_deployment_id is not None:
                deployment_id = str(found.github_deployment_id)
        except (UpstreamError, TimeoutError):
            # assemble() below tries GitHub again with the release as a ref and records
            # the failure as a gap, so nothing is lost by going on with the version.
            deployment_id = origin.release
        finally:
            source.close()
    result = await assemble(
        deployment_id, settings, tuning=tuning, progress=progress, network=network
    )
    return Assembly(result.incident, [*gaps, *result.gaps], result.error, result.references)

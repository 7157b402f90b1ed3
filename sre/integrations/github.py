"""GitHub: resolve a deployment id, compare it with the previous one, read config files.

PyGithub is synchronous, so every call runs in a worker thread, retried by the project's
one policy (`alpha.core.http.RetryPolicy`: 5xx, 429, rate-limit 403s, timeouts and
connection errors, with jittered backoff or the server's wait); PyGithub's own retries are
off. The threads are daemon threads rather than `asyncio.to_thread`'s pool: a blocking
request cannot be interrupted, and Ctrl-C must not wait for it (the pool is joined at
exit). Proxies are the standard variables (requests reads them as `NetworkPolicy` does),
the CA bundle is the network policy's. Failures leave this module as `UpstreamError` (from
`sre.integrations.http`) so the assembler can turn them into gaps.

Resolution of a deployment id:
    * digits -> a GitHub deployment (sha, environment, created_at); if no such deployment
      exists the id is tried as a ref, since tags can be numeric too;
    * anything else -> a deployment whose ref is that name, else a ref GitHub knows
      (tag, branch, SHA), else a release of that name.
Previous revision: the latest earlier deployment to the same environment with another sha;
for a bare ref, the next-older tag; failing both, the commit's first parent.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.Deployment import Deployment
from github.GithubException import RateLimitExceededException
from github.Repository import Repository

from alpha.core.errors import InputError
from alpha.core.http import NetworkPolicy, Retryable
from sre.integrations.blocking import in_daemon_thread
from sre.integrations.configfiles import merge_snapshots, parse_config
from sre.integrations.http import UpstreamError, UpstreamNotFound, rate_limit_wait, unwrap_upstream
from sre.integrations.settings import IntegrationSettings
from sre.references import CommitRef, pr_number_in

T = TypeVar("T")
# Reports what this source is doing (`sre.integrations.assembler.SourceProgress`).
Progress = Callable[[str], None]

SOURCE = "GitHub"
TOKEN_SETTING = "GITHUB_TOKEN"


@dataclass(frozen=True)
class GitHubCaps:
    """Bounds on what is fetched; hitting one is reported as a note, never silent.

    Attributes:
        max_commits: commits kept from the comparison (the newest ones).
        max_files_per_commit: files kept per commit.
        max_patch_bytes: bytes of patch kept per file.
        max_scan: deployments, tags or releases scanned when looking something up.
        max_scan_commits: comparison commits listed before keeping the newest.
        max_pr_lookups: newest commits whose pull request is asked of GitHub when their
            message names none (one request each).
    """

    max_commits: int = 50
    max_files_per_commit: int = 50
    max_patch_bytes: int = 4000
    max_scan: int = 100
    max_scan_commits: int = 1000
    max_pr_lookups: int = 5


@dataclass(frozen=True)
class ResolvedDeployment:
    """What a deployment id pointed at.

    Attributes:
        deployment_id: the id as the user gave it.
        sha: the deployed commit.
        ref: the deployed ref (tag, branch or sha) as GitHub reports it.
        environment: the deployment's environment, if it was a GitHub deployment.
        created_at: when it was deployed (GitHub deployment) or released (release), if known.
        github_deployment_id: the numeric deployment id, if it was a GitHub deployment.
    """

    deployment_id: str
    sha: str
    ref: str
    environment: str | None = None
    created_at: datetime | None = None
    github_deployment_id: int | None = None


@dataclass(frozen=True)
class PreviousRevision:
    """The revision compared against, and how it was found (for the user)."""

    sha: str
    label: str


@dataclass
class GitHubEvidence:
    """Commits and configuration between the previous revision and the deployment."""

    previous: PreviousRevision | None
    commits: list[dict[str, Any]] = field(default_factory=list)
    config_snapshot: dict[str, Any] = field(default_factory=dict)
    previous_config_snapshot: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    references: list[CommitRef] = field(default_factory=list)


def build_client(settings: IntegrationSettings, network: NetworkPolicy | None = None) -> Github:
    """A PyGithub client for the configured API URL, without retries of its own (the
    caller's `RetryPolicy` retries) and trusting the network policy's CA bundle."""
    return Github(
        auth=Auth.Token(settings.github_token.get_secret_value()),
        base_url=settings.github_api_url,
        # PyGithub insists on an int; round up so a short timeout never becomes zero.
        timeout=max(1, math.ceil(settings.http_timeout)),
        retry=None,
        seconds_between_requests=settings.github_seconds_between_requests,
        lazy=True,
        verify=(network or NetworkPolicy()).verify,
    )


def _retryable(exc: Exception) -> bool:
    """Whether a PyGithub / requests failure is worth another try."""
    if isinstance(exc, GithubException):
        status = exc.status
        limited = isinstance(exc, RateLimitExceededException) or (
            status == 403 and _server_wait(exc) is not None
        )
        return status == 429 or status >= 500 or limited
    return isinstance(exc, requests.Timeout | requests.ConnectionError)


def _server_wait(exc: Exception) -> float | None:
    """The wait GitHub asked for (`Retry-After`, `x-ratelimit-reset`), if any."""
    headers = getattr(exc, "headers", None) or {}
    return rate_limit_wait(headers, time.time()) if headers else None


def _translate(exc: Exception, attempts: int, label: str) -> UpstreamError:
    """Map a PyGithub / requests exception to an `UpstreamError`."""
    if isinstance(exc, GithubException):
        status = exc.status
        message = f"{label}: HTTP {status}"
        if status == 404:
            return UpstreamNotFound(message, kind="not_found", status=404, request=label)
        if status == 401:
            return UpstreamError(message, kind="auth", status=401, request=label)
        if status == 403 and isinstance(exc, RateLimitExceededException):
            return UpstreamError(
                message, kind="rate_limited", status=403, attempts=attempts, request=label
            )
        if status == 403:
            return UpstreamError(message, kind="auth", status=403, request=label)
        if status == 429:
            return UpstreamError(
                message, kind="rate_limited", status=429, attempts=attempts, request=label
            )
        if status >= 500:
            return UpstreamError(
                message, kind="server", status=status, attempts=attempts, request=label
            )
        return UpstreamError(message, kind="client", status=status, request=label)
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return UpstreamError(
            f"{label}: timed out", kind="timeout", attempts=attempts, request=label
        )
    return UpstreamError(
        f"connection failed ({type(exc).__name__})",
        kind="network",
        attempts=attempts,
        request=label,
    )


def _first(items: Iterable[T], predicate: Callable[[T], bool], limit: int) -> T | None:
    """The first of at most `limit` items satisfying `predicate`."""
    for item in itertools.islice(items, limit):
        if predicate(item):
            return item
    return None


def truncate_patch(patch: str, max_bytes: int) -> tuple[str, bool]:
    """Cut a patch to `max_bytes` of UTF-8 at a line boundary, marking the cut.

    Returns:
        The (possibly) truncated patch and whether it was truncated.
    """
    raw = patch.encode("utf-8")
    if len(raw) <= max_bytes:
        return patch, False
    kept = raw[:max_bytes].decode("utf-8", errors="ignore")
    if "\n" in kept:
        kept = kept[: kept.rindex("\n")]
    return f"{kept}\n[patch truncated: kept {len(kept.encode())} of {len(raw)} bytes]", True


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def _from_deployment(deployment_id: str, dep: Deployment) -> ResolvedDeployment:
    """What a GitHub deployment object says about the deployment the user named."""
    return ResolvedDeployment(
        deployment_id=deployment_id,
        sha=dep.sha,
        ref=dep.ref,
        environment=dep.environment,
        created_at=_utc(dep.created_at),
        github_deployment_id=dep.id,
    )


class GitHubSource:
    """Reads deployments, comparisons and config files of one repository.

    Args:
        settings: the integration settings (repository, token, URL, timeouts, retries).
        caps: bounds on what is fetched.
    """

    def __init__(
        self,
        settings: IntegrationSettings,
        *,
        caps: GitHubCaps | None = None,
        network: NetworkPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._caps = caps or GitHubCaps()
        self._client = build_client(settings, network)
        self._policy = settings.retry_policy()
        self._sleep = sleep
        self.repository = settings.github_repository

    def close(self) -> None:
        """Release the client's connections."""
        self._client.close()

    async def _call(self, label: str, fn: Callable[[], T]) -> T:
        """Run a blocking PyGithub function off the loop under the retry policy, translating
        its failures into `UpstreamError`s."""
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            try:
                return fn()
            except (GithubException, requests.RequestException) as exc:
                error = _translate(exc, attempts, label)
                if _retryable(exc):
                    limited = error.kind == "rate_limited"
                    raise Retryable(error, _server_wait(exc), rate_limited=limited) from exc
                raise error from exc

        return await in_daemon_thread(lambda: self._policy.call_sync(attempt, sleep=self._sleep))

    def _repo(self) -> Repository:
        return self._client.get_repo(self.repository)

    # ------------------------------------------------------------------ resolution

    async def resolve(self, deployment_id: str) -> ResolvedDeployment:
        """Resolve a deployment id (numeric GitHub deployment, or a ref) to a commit.

        Raises:
            UpstreamNotFound: nothing in the repository matches; the message says so.
            UpstreamError: GitHub failed.
        """
        label = f"resolve deployment {deployment_id!r}"
        found = await self._call(label, lambda: self._resolve_sync(deployment_id))
        if found is None:
            raise UpstreamNotFound(
                f"deployment {deployment_id!r} not found in {self.repository}",
                kind="not_found",
                status=404,
                request=label,
            )
        return found

    def _resolve_sync(self, deployment_id: str) -> ResolvedDeployment | None:
        repo = self._repo()
        if deployment_id.isdigit():
            try:
                return _from_deployment(deployment_id, repo.get_deployment(int(deployment_id)))
            except GithubException as exc:
                if exc.status != 404:
                    raise
        return self._resolve_ref_sync(repo, deployment_id, environment=None)

    def _resolve_ref_sync(
        self, repo: Repository, ref: str, *, environment: str | None
    ) -> ResolvedDeployment | None:
        """A deployment of `ref`, else the ref itself, else a release named `ref`."""
        kwargs = {"environment": environment} if environment else {}
        dep = _first(repo.get_deployments(ref=ref, **kwargs), lambda _: True, 1)
        if dep is None and len(ref) >= 7 and all(c in "0123456789abcdefABCDEF" for c in ref):
            dep = _first(repo.get_deployments(sha=ref, **kwargs), lambda _: True, 1)
        if dep is not None:
            return _from_deployment(ref, dep)
        target = ref
        released_at: datetime | None = None
        release = _first(
            repo.get_releases(), lambda r: ref in (r.name, r.tag_name), self._caps.max_scan
        )
        if release is not None:
            target, released_at = release.tag_name, _utc(release.published_at)
        try:
            # `raw_data` forces the request: a lazy Commit would echo `target` back as its sha.
            sha = str(repo.get_commit(target).raw_data["sha"])
        except GithubException as exc:
            if exc.status in (404, 422):  # 422: "No commit found for SHA"
                return None
            raise
        return ResolvedDeployment(
            deployment_id=ref, sha=sha, ref=target, environment=environment, created_at=released_at
        )

    async def resolve_release(self, version: str, environment: str | None) -> ResolvedDeployment:
        """The deployment of a Sentry release version (a ref or sha) in `environment`.

        Raises:
            UpstreamNotFound: no deployment, tag, release or commit matches `version`.
        """
        label = f"resolve release {version!r}"

        def run() -> ResolvedDeployment | None:
            return self._resolve_ref_sync(self._repo(), version, environment=environment)

        found = await self._call(label, run)
        if found is None and environment:
            found = await self._call(
                label, lambda: self._resolve_ref_sync(self._repo(), version, environment=None)
            )
        if found is None:
            raise UpstreamNotFound(
                f"release {version!r} matches no deployment, tag or commit in {self.repository}",
                kind="not_found",
                status=404,
                request=label,
            )
        return found

    # ------------------------------------------------------------------ evidence

    async def gather(
        self, deployment: ResolvedDeployment, progress: Progress = lambda _: None
    ) -> GitHubEvidence:
        """Commits since the previous revision and config snapshots at both revisions.

        Args:
            deployment: what `resolve` found.
            progress: hears each step ("comparing 1a2b3c4...5ae6cd2", "files of 3/12").

        Raises:
            UpstreamError: GitHub failed while finding the previous revision or comparing.
                Config files that are missing or do not parse become notes instead.
        """
        progress(f"finding the revision before {deployment.sha[:7]}")
        previous = await self._call(
            "find previous deployment", lambda: self._previous_sync(deployment)
        )
        evidence = GitHubEvidence(previous=previous)
        if previous is None:
            evidence.notes.append(
                f"GitHub: no earlier deployment, tag or parent commit before {deployment.sha[:7]};"
                " no commits compared"
            )
        try:
            async with asyncio.TaskGroup() as tg:
                commits_task = tg.create_task(
                    self._commits(deployment, previous, evidence.notes, progress)
                )
                config_task = tg.create_task(self._configs(deployment.sha, evidence.notes))
                prev_config_task = (
                    tg.create_task(self._configs(previous.sha, evidence.notes))
                    if previous
                    else None
                )
        except ExceptionGroup as group:
            error = unwrap_upstream(group)
            if error is None:
                raise
            raise error from group
        evidence.commits, evidence.references = commits_task.result()
        evidence.config_snapshot = config_task.result() or {}
        if prev_config_task is not None:
            evidence.previous_config_snapshot = prev_config_task.result()
        return evidence

    def _previous_sync(self, deployment: ResolvedDeployment) -> PreviousRevision | None:
        repo = self._repo()
        if deployment.github_deployment_id is not None and deployment.environment:
            created = deployment.created_at

            def earlier(dep: Any) -> bool:
                when = _utc(dep.created_at)
                return (
                    dep.id != deployment.github_deployment_id
                    and dep.sha != deployment.sha
                    and (created is None or (when is not None and when < created))
                )

            dep = _first(
                repo.get_deployments(environment=deployment.environment),
                earlier,
                self._caps.max_scan,
            )
            if dep is not None:
                return PreviousRevision(
                    dep.sha, f"deployment {dep.id} ({_iso(dep.created_at)}) to {dep.environment}"
                )
        tags = list(itertools.islice(repo.get_tags(), self._caps.max_scan))
        for index, tag in enumerate(tags):
            if tag.name == deployment.ref or tag.commit.sha == deployment.sha:
                older = next((t for t in tags[index + 1 :] if t.commit.sha != deployment.sha), None)
                if older is not None:
                    return PreviousRevision(older.commit.sha, f"tag {older.name}")
                break
        parents = repo.get_commit(deployment.sha).parents
        if parents:
            return PreviousRevision(parents[0].sha, "parent commit")
        return None

    async def _commits(
        self,
        deployment: ResolvedDeployment,
        previous: PreviousRevision | None,
        notes: list[str],
        progress: Progress,
    ) -> tuple[list[dict[str, Any]], list[CommitRef]]:
        if previous is None:
            return [], []
        label = f"compare {previous.sha[:7]}...{deployment.sha[:7]}"
        progress(f"comparing {previous.sha[:7]}...{deployment.sha[:7]}")
        commits, refs, found_notes = await self._call(
            label, lambda: self._commits_sync(previous.sha, deployment.sha, progress)
        )
        notes.extend(found_notes)
        return commits, refs

    def _commits_sync(
        self, base: str, head: str, progress: Progress
    ) -> tuple[list[dict[str, Any]], list[CommitRef], list[str]]:
        caps = self._caps
        repo = self._repo()
        comparison = repo.compare(base, head)
        total = comparison.total_commits
        # GitHub lists the comparison oldest first; the newest commits are the likeliest
        # culprits, so the cap keeps the tail.
        # Scanning is bounded too: past `max_scan_commits` the newest ones are out of reach
        # without walking thousands of commits, and the note says which were kept.
        scanned = min(total, max(caps.max_scan_commits, caps.max_commits))
        listed = list(itertools.islice(comparison.commits, scanned))
        kept = listed[-caps.max_commits :]
        notes: list[str] = []
        if len(kept) < total:
            which = "newest" if scanned == total else f"last of the first {scanned}"
            notes.append(
                f"GitHub: {total} commits between {base[:7]} and {head[:7]};"
                f" kept the {which} {len(kept)} (cap {caps.max_commits})"
            )
        truncated_patches = 0
        capped_commits = 0
        result = []
        refs = []
        for number, commit in enumerate(kept, start=1):
            progress(f"{len(kept)} commits; files of {number}/{len(kept)}")
            files, cut, capped = self._files_sync(repo, commit.sha)
            truncated_patches += cut
            capped_commits += capped
            git = commit.commit
            result.append(
                {
                    "sha": commit.sha,
                    "message": git.message,
                    "author": (git.author.name if git.author else None)
                    or (commit.author.login if commit.author else None),
                    "timestamp": _iso(git.author.date if git.author else None),
                    "files": files,
                }
            )
            refs.append(
                CommitRef(
                    sha=commit.sha,
                    url=commit.html_url,
                    author=(commit.author.login if commit.author else None)
                    or (git.author.name if git.author else None),
                    pr_number=pr_number_in(git.message),
                )
            )
        refs = self._pull_requests_sync(repo, refs, progress)
        if truncated_patches:
            notes.append(
                f"GitHub: {truncated_patches} patch(es) truncated to {caps.max_patch_bytes} bytes"
            )
        if capped_commits:
            notes.append(
                f"GitHub: {capped_commits} commit(s) list only their first"
                f" {caps.max_files_per_commit} files"
            )
        return result, refs, notes

    def _pull_requests_sync(
        self, repo: Repository, refs: list[CommitRef], progress: Progress
    ) -> list[CommitRef]:
        """Ask GitHub which pull request brought each of the newest commits whose message
        names none (at most `max_pr_lookups` requests); a failure leaves it without one."""
        todo = [r for r in reversed(refs) if r.pr_number is None][: self._caps.max_pr_lookups]
        found: dict[str, CommitRef] = {}
        for index, ref in enumerate(todo, start=1):
            progress(f"pull request of {ref.short} ({index}/{len(todo)})")
            try:
                pull = _first(repo.get_commit(ref.sha).get_pulls(), lambda _: True, 1)
            except (GithubException, requests.RequestException):
                continue  # the commit keeps its URL and author; the PR is a courtesy
            if pull is not None:
                found[ref.sha] = ref.model_copy(
                    update={"pr_number": pull.number, "pr_url": pull.html_url}
                )
        return [found.get(r.sha, r) for r in refs]

    def _files_sync(self, repo: Repository, sha: str) -> tuple[list[dict[str, Any]], int, bool]:
        """Files of one commit, capped; returns (files, patches truncated, files capped)."""
        caps = self._caps
        listed = list(itertools.islice(repo.get_commit(sha).files, caps.max_files_per_commit + 1))
        files = []
        truncated = 0
        for item in listed[: caps.max_files_per_commit]:
            patch = item.patch
            if patch is not None:
                patch, cut = truncate_patch(patch, caps.max_patch_bytes)
                truncated += cut
            files.append(
                {
                    "filename": item.filename,
                    "status": item.status,
                    "additions": item.additions,
                    "deletions": item.deletions,
                    "patch": patch,
                }
            )
        return files, truncated, len(listed) > caps.max_files_per_commit

    async def _configs(self, sha: str, notes: list[str]) -> dict[str, Any] | None:
        """The merged config snapshot at `sha`, or None when no configured file was read."""
        parsed: list[dict[str, Any]] = []
        for path in self._settings.config_paths:
            text = await self._read_file(path, sha, notes)
            if text is None:
                continue
            try:
                parsed.append(parse_config(path, text))
            except InputError as exc:
                notes.append(f"GitHub: {exc} (at {sha[:7]}); left out of the snapshot")
        return merge_snapshots(parsed) if parsed else None

    async def _read_file(self, path: str, sha: str, notes: list[str]) -> str | None:
        def run() -> str | None:
            content = self._repo().get_contents(path, ref=sha)
            if isinstance(content, list):
                return None
            if content.encoding != "base64":
                # The contents API omits bodies over 1 MB ("encoding": "none").
                raise ValueError(f"config file {path!r} is too large for the contents API")
            return content.decoded_content.decode("utf-8", errors="replace")

        try:
            text = await self._call(f"read {path}@{sha[:7]}", run)
        except UpstreamNotFound:
            notes.append(f"GitHub: config file {path!r} not found at {sha[:7]}")
            return None
        except ValueError as exc:
            notes.append(f"GitHub: {exc} (at {sha[:7]})")
            return None
        if text is None:
            notes.append(f"GitHub: config path {path!r} is a directory at {sha[:7]}; skipped")
        return text

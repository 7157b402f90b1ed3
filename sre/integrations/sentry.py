"""Sentry: issues around a deployment, their latest events as log lines, error-count series.

Async HTTP on aiohttp (`Authorization: Bearer`, base `{SENTRY_URL}/api/0/`), with the retry,
rate-limit and pagination rules of `sre.integrations.http`. The conversion of Sentry JSON to
payload shapes (`event_log_lines`, `issue_summary_line`, `error_series`) is pure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from sre.integrations.http import (
    Clock,
    NetworkPolicy,
    Sleep,
    UpstreamError,
    UpstreamNotFound,
    next_page_url,
    request_json,
)
from sre.integrations.settings import IntegrationSettings
from sre.references import IssueRef

SOURCE = "Sentry"
TOKEN_SETTING = "SENTRY_AUTH_TOKEN"
TOTAL_SERIES = "sentry_errors_per_interval"

# Caps on what one event contributes, applied as its JSON is read (an exception value of
# 8 MB arrives now and then): messages and exception values, names (types, files,
# functions), source lines, chained exceptions per event and frames looked at per exception.
MAX_TEXT_CHARS = 8_192
MAX_NAME_CHARS = 512
MAX_EXCEPTIONS = 10
MAX_FRAMES_READ = 1_000


@dataclass(frozen=True)
class SentryCaps:
    """Bounds on what is fetched; hitting one is reported as a note.

    Attributes:
        max_issues: issues listed around the deployment (most frequent first).
        max_events: issues whose latest event is fetched and turned into log lines.
        max_frames: stack frames kept per exception (the innermost ones).
        max_pages: pages followed when listing.
        before: how far before the deployment the window starts (the baseline).
        after: how far after the deployment the window ends (capped at now).
    """

    max_issues: int = 10
    max_events: int = 5
    max_frames: int = 25
    max_pages: int = 5
    before: timedelta = timedelta(hours=2)
    after: timedelta = timedelta(hours=6)


@dataclass
class SentryEvidence:
    """What Sentry contributes to the payload."""

    logs: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    incident_started_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    references: list[IssueRef] = field(default_factory=list)


@dataclass(frozen=True)
class IssueOrigin:
    """Where a Sentry issue came from: its release and environment."""

    issue_id: str
    release: str | None
    environment: str | None
    project: str | None


# --------------------------------------------------------------------------- pure helpers


def parse_time(value: Any) -> datetime | None:
    """Parse Sentry's ISO timestamps (`2026-11-20T14:03:11.123456Z`) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(value: datetime) -> str:
    """`2026-11-20T14:03:11Z`: whole seconds, UTC, the form log extractors recognise."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _one_line(text: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` on one line, cut to `limit` characters before anything scans it."""
    return " ".join(str(text)[:limit].split())


def _frame_file(frame: Mapping[str, Any]) -> str:
    name = frame.get("filename") or frame.get("absPath") or frame.get("module") or "?"
    return _one_line(name, MAX_NAME_CHARS)


def _function(frame: Mapping[str, Any]) -> str:
    return _one_line(frame.get("function") or "?", MAX_NAME_CHARS)


def _line_no(frame: Mapping[str, Any]) -> str:
    return _one_line(frame.get("lineNo") or "?", 20)


def _culprit_frame(frames: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The innermost in-app frame (where the code at fault usually is), else the innermost."""
    in_app = [frame for frame in frames if frame.get("inApp")]
    chosen: list[Mapping[str, Any]] = in_app or list(frames)
    return chosen[-1] if chosen else None


def _exception_values(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for entry in event.get("entries") or []:
        if isinstance(entry, Mapping) and entry.get("type") == "exception":
            values = (entry.get("data") or {}).get("values") or []
            values = values[:MAX_EXCEPTIONS] if isinstance(values, list) else []
            return [v for v in values if isinstance(v, Mapping)]
    return []


def event_log_lines(
    event: Mapping[str, Any], level: str = "error", max_frames: int = 25
) -> list[str]:
    """Turn one Sentry event into a timestamped log line plus traceback continuation lines.

    Example:
        `2026-11-20T14:03:11Z ERROR KeyError: 'sku' (checkout/cart.py in apply_discount line 42)`
        followed by `  File "checkout/cart.py", line 42, in apply_discount`.
    """
    when = parse_time(event.get("dateCreated"))
    stamp = iso_z(when) if when else "-"
    lvl = (level or "error").upper()
    values = _exception_values(event)
    if not values:
        title = event.get("title") or event.get("message") or "event without message"
        return [f"{stamp} {lvl} {_one_line(title)}"]
    lines: list[str] = []
    for value in values:
        all_frames = (value.get("stacktrace") or {}).get("frames") or []
        # The innermost frames are the last ones; the outermost beyond the cap are dropped.
        read = all_frames[-MAX_FRAMES_READ:] if isinstance(all_frames, list) else []
        dropped = len(all_frames) - len(read) if isinstance(all_frames, list) else 0
        frames = [f for f in read if isinstance(f, Mapping)]
        kind = _one_line(value.get("type") or "Error", MAX_NAME_CHARS)
        text = _one_line(value.get("value") or "")
        head = f"{stamp} {lvl} {kind}: {text}"
        culprit = _culprit_frame(frames)
        if culprit is not None:
            head += f" ({_frame_file(culprit)} in {_function(culprit)} line {_line_no(culprit)})"
        lines.append(head.rstrip())
        shown = frames[-max_frames:] if max_frames > 0 else []
        omitted = len(frames) - len(shown) + dropped
        if omitted:
            lines.append(f"  ... {omitted} outer frame(s) omitted")
        for frame in shown:
            lines.append(
                f'  File "{_frame_file(frame)}", line {_line_no(frame)}, in {_function(frame)}'
            )
            context = frame.get("context_line") or frame.get("contextLine")
            if context:
                lines.append(f"    {_one_line(context, MAX_NAME_CHARS)}")
    return lines


def issue_summary_line(issue: Mapping[str, Any], deployed_at: datetime | None) -> str | None:
    """One line per issue at its first sighting, with its volume (None without a firstSeen)."""
    first = parse_time(issue.get("firstSeen"))
    if first is None:
        return None
    phrase = "first seen"
    if deployed_at is not None:
        phrase += " after the deployment" if first >= deployed_at else " before the deployment"
    meta = issue.get("metadata") or {}
    title = issue.get("title") or meta.get("value") or "untitled"
    return (
        f"{iso_z(first)} {str(issue.get('level') or 'error').upper()} Sentry issue"
        f" {_one_line(issue.get('shortId') or issue.get('id'), MAX_NAME_CHARS)} {phrase}:"
        f" {_one_line(title)}"
        f" (events={_one_line(issue.get('count', '?'), 20)},"
        f" users={_one_line(issue.get('userCount', '?'), 20)},"
        f" culprit={_one_line(issue.get('culprit') or '?', MAX_NAME_CHARS)},"
        f" last seen {_one_line(issue.get('lastSeen') or '?', 40)})"
    )


def issue_series(issue: Mapping[str, Any]) -> list[tuple[int, float]]:
    """The `[epoch, count]` buckets of an issue's `stats` (whatever period key it uses)."""
    stats = issue.get("stats") or {}
    if not isinstance(stats, Mapping) or not stats:
        return []
    buckets = next(iter(stats.values()))
    out: list[tuple[int, float]] = []
    for bucket in buckets or []:
        if isinstance(bucket, list | tuple) and len(bucket) == 2:
            try:
                out.append((int(bucket[0]), float(bucket[1])))
            except (TypeError, ValueError):
                continue
    return out


def _event_metric(series: Iterable[tuple[int, float]]) -> dict[str, Any]:
    """A timestamped metric of event counts from `(epoch, count)` buckets."""
    points = [[iso_z(datetime.fromtimestamp(t, tz=UTC)), c] for t, c in series]
    return {"points": points, "unit": "events"}


def error_series(issues: Sequence[Mapping[str, Any]], per_issue: int) -> dict[str, Any]:
    """Metrics in the payload's timestamped form: the total and the top issues' series."""
    total: dict[int, float] = {}
    metrics: dict[str, Any] = {}
    for index, issue in enumerate(issues):
        series = issue_series(issue)
        for ts, count in series:
            total[ts] = total.get(ts, 0.0) + count
        if index < per_issue and series:
            name = f"{TOTAL_SERIES}[{issue.get('shortId') or issue.get('id')}]"
            metrics[name] = _event_metric(series)
    if total:
        metrics = {TOTAL_SERIES: _event_metric(sorted(total.items())), **metrics}
    return metrics


def _count(value: Any) -> int | None:
    """Sentry's counts arrive as strings (`"1532"`) or numbers; None when unreadable."""
    try:
        return int(str(value)[:20])
    except (TypeError, ValueError):
        return None


def issue_reference(issue: Mapping[str, Any]) -> IssueRef:
    """The identity of an issue as Sentry gives it: URL, short id, event and user counts."""
    short = issue.get("shortId")
    return IssueRef(
        issue_id=_one_line(issue.get("id") or "?", 40),
        short_id=_one_line(short, MAX_NAME_CHARS) if short else None,
        title=_one_line(issue.get("title") or "", 200) or None,
        url=issue.get("permalink") if isinstance(issue.get("permalink"), str) else None,
        events=_count(issue.get("count")),
        users=_count(issue.get("userCount")),
    )


def _tag(event: Mapping[str, Any], key: str) -> str | None:
    for tag in event.get("tags") or []:
        if isinstance(tag, Mapping) and tag.get("key") == key and tag.get("value"):
            return str(tag["value"])
    return None


# --------------------------------------------------------------------------- client


@asynccontextmanager
async def sentry_session(
    settings: IntegrationSettings, network: NetworkPolicy | None = None
) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session carrying the Sentry bearer token (never logged), trusting the
    network policy's CA bundle (proxies are given per request: `SentryClient`)."""
    headers = {"Authorization": f"Bearer {settings.sentry_auth_token.get_secret_value()}"}
    network = network or NetworkPolicy()
    context = network.ssl_context()
    connector = aiohttp.TCPConnector(ssl=context if context is not None else True)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        yield session


class SentryClient:
    """The Sentry REST calls the assembler needs.

    Args:
        settings: URL, organisation, project, token, timeouts and retries.
        session: an aiohttp session from `sentry_session`.
        caps: bounds on what is fetched.
        sleep: the wait between retries (injected so tests do not sleep).
        clock: the current epoch time (rate-limit resets, the end of the window).
        network: proxies (and, through `sentry_session`, the CA bundle).
    """

    def __init__(
        self,
        settings: IntegrationSettings,
        session: aiohttp.ClientSession,
        *,
        caps: SentryCaps | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
        network: NetworkPolicy | None = None,
    ) -> None:
        self._settings = settings
        self._network = network or NetworkPolicy()
        self._session = session
        self._caps = caps or SentryCaps()
        self._sleep = sleep
        self._clock = clock
        self._base = f"{settings.sentry_url}/api/0/"
        self._org = quote(settings.sentry_org, safe="")
        self._policy = settings.retry_policy()
        self._project_id: str | None = None

    async def _fetch(
        self, url: str, params: Mapping[str, str | list[str]] | None
    ) -> tuple[Any, Mapping[str, str]]:
        return await request_json(
            self._session,
            url,
            params=params,
            policy=self._policy,
            sleep=self._sleep,
            clock=self._clock,
            proxy=self._network.proxy_for(url),
        )

    async def _get(self, path: str, params: Mapping[str, str | list[str]] | None = None) -> Any:
        body, _ = await self._fetch(self._base + path, params)
        return body

    async def _list(
        self, path: str, params: Mapping[str, str | list[str]], limit: int, notes: list[str]
    ) -> list[Any]:
        """Follow `Link: rel="next"` pages until `limit` items or `max_pages` pages."""
        url: str | None = self._base + path
        items: list[Any] = []
        query: Mapping[str, str | list[str]] | None = params
        pages = 0
        while url is not None and len(items) < limit:
            if not url.startswith(self._base):
                # Never send the token to another host, whatever a Link header says.
                notes.append(f"Sentry: pagination left {self._base}; stopped")
                break
            if pages >= self._caps.max_pages:
                notes.append(f"Sentry: stopped after {pages} pages (cap)")
                break
            body, headers = await self._fetch(url, query)
            pages += 1
            if not isinstance(body, list):
                raise UpstreamError(
                    f"GET {path}: expected a list, got {type(body).__name__}",
                    kind="client",
                    status=200,
                    request=f"GET {path}",
                )
            items.extend(body)
            url = next_page_url(headers.get("Link") or headers.get("link"))
            query = None  # the next URL carries its own query (cursor included)
        return items[:limit]

    async def project_id(self) -> str:
        """The numeric project id (the issues endpoint filters by id, not slug)."""
        if self._project_id is None:
            project = self._settings.sentry_project
            if project.isdigit():
                self._project_id = project
            else:
                body = await self._get(f"projects/{self._org}/{quote(project, safe='')}/")
                self._project_id = str(body["id"])
        return self._project_id

    async def issues(
        self,
        start: datetime | None,
        end: datetime | None,
        environment: str | None,
        notes: list[str],
    ) -> list[dict[str, Any]]:
        """The project's issues seen in the window, most frequent first."""
        params: dict[str, str | list[str]] = {
            "project": await self.project_id(),
            "query": "",
            "sort": "freq",
            "limit": str(min(100, self._caps.max_issues)),
            "groupStatsPeriod": "auto",
        }
        if start is not None and end is not None:
            params["start"], params["end"] = iso_z(start), iso_z(end)
        else:
            params["statsPeriod"] = "24h"
        if environment:
            params["environment"] = environment
        issues = await self._list(
            f"organizations/{self._org}/issues/", params, self._caps.max_issues + 1, notes
        )
        if len(issues) > self._caps.max_issues:
            notes.append(
                f"Sentry: more than {self._caps.max_issues} issues; kept the most frequent"
            )
        return [i for i in issues[: self._caps.max_issues] if isinstance(i, dict)]

    async def latest_event(self, issue_id: str) -> dict[str, Any]:
        """The latest event of an issue (with its exception entries and frames)."""
        body = await self._get(
            f"organizations/{self._org}/issues/{quote(issue_id, safe='')}/events/latest/"
        )
        return body if isinstance(body, dict) else {}

    async def issue(self, issue_id: str) -> dict[str, Any]:
        """One issue's details."""
        body = await self._get(f"organizations/{self._org}/issues/{quote(issue_id, safe='')}/")
        return body if isinstance(body, dict) else {}

    async def release_deployed_at(
        self, version: str, environment: str | None
    ) -> tuple[datetime | None, str | None]:
        """When a release was deployed (to `environment` if given) and where, per Sentry.

        Returns `(None, None)` when Sentry knows no such release or no deploy of it.
        """
        try:
            deploys = await self._get(
                f"organizations/{self._org}/releases/{quote(version, safe='')}/deploys/"
            )
        except UpstreamNotFound:
            return None, None
        candidates = [
            d
            for d in deploys
            if isinstance(d, Mapping) and (not environment or d.get("environment") == environment)
        ]
        best: tuple[datetime, str | None] | None = None
        for deploy in candidates:
            when = parse_time(deploy.get("dateFinished") or deploy.get("dateStarted"))
            if when is not None and (best is None or when > best[0]):
                best = (when, deploy.get("environment"))
        return best if best is not None else (None, None)

    async def origin(self, issue_id: str) -> IssueOrigin:
        """The release and environment of an issue, from its latest event (else the issue)."""
        # Sequential on purpose: a missing issue should fail once, as a plain NotFound.
        issue = await self.issue(issue_id)
        event = await self.latest_event(issue_id)
        release = _tag(event, "release")
        if release is None and isinstance(event.get("release"), Mapping):
            release = event["release"].get("version")
        for key in ("lastRelease", "firstRelease"):
            if release is None and isinstance(issue.get(key), Mapping):
                release = issue[key].get("version")
        project = issue.get("project") if isinstance(issue.get("project"), Mapping) else {}
        return IssueOrigin(
            issue_id=issue_id,
            release=release,
            environment=_tag(event, "environment"),
            project=(project or {}).get("slug"),
        )

    async def _event_or_note(self, issue: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
        """The issue's latest event; a failure costs this issue's traceback only."""
        try:
            return await self.latest_event(str(issue.get("id")))
        except UpstreamError as exc:
            notes.append(
                f"Sentry: latest event of {issue.get('shortId') or issue.get('id')}"
                f" unavailable ({exc.describe(SOURCE, TOKEN_SETTING)})"
            )
            return {}

    async def gather(
        self,
        deployed_at: datetime | None,
        environment: str | None,
        progress: Callable[[str], None] = lambda _: None,
    ) -> SentryEvidence:
        """Issues around the deployment, their latest events as logs, and error series.

        Args:
            deployed_at: when the deployment went live (the window's split), if known.
            environment: the deployment's environment, to filter issues.
            progress: hears each step ("listing issues", "latest events 2/5").
        """
        evidence = SentryEvidence()
        start = end = None
        if deployed_at is not None:
            now = datetime.fromtimestamp(self._clock(), tz=UTC)
            start = deployed_at - self._caps.before
            end = min(deployed_at + self._caps.after, max(now, deployed_at + timedelta(minutes=1)))
        else:
            evidence.notes.append("Sentry: deployment time unknown; used the last 24 hours")
        progress("listing issues")
        issues = await self.issues(start, end, environment, evidence.notes)
        top = issues[: self._caps.max_events]
        fetched = 0

        async def event_of(issue: Mapping[str, Any]) -> dict[str, Any]:
            nonlocal fetched
            event = await self._event_or_note(issue, evidence.notes)
            fetched += 1
            progress(f"{len(issues)} issues; latest events {fetched}/{len(top)}")
            return event

        progress(f"{len(issues)} issues; latest events 0/{len(top)}")
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(event_of(i)) for i in top]
        events = [t.result() for t in tasks]
        evidence.references = [issue_reference(i) for i in issues]
        if len(issues) > len(top):
            evidence.notes.append(
                f"Sentry: latest events fetched for the top {len(top)} of {len(issues)} issues"
            )
        evidence.logs = _assemble_logs(issues, top, events, deployed_at, self._caps.max_frames)
        evidence.metrics = error_series(issues, per_issue=self._caps.max_events)
        if deployed_at is not None:
            after = [
                t
                for t in (parse_time(i.get("firstSeen")) for i in issues)
                if t and t >= deployed_at
            ]
            evidence.incident_started_at = min(after) if after else None
        return evidence


def _assemble_logs(
    issues: Sequence[Mapping[str, Any]],
    top: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    deployed_at: datetime | None,
    max_frames: int,
) -> list[str]:
    """Summary lines and event tracebacks as blocks, ordered by time (blocks stay whole)."""
    blocks: list[tuple[str, int, list[str]]] = []
    for order, issue in enumerate(issues):
        line = issue_summary_line(issue, deployed_at)
        if line is not None:
            blocks.append((line[:20], order, [line]))
    for order, (issue, event) in enumerate(zip(top, events, strict=True)):
        if not event:
            continue  # its fetch failed; a note says so
        lines = event_log_lines(event, str(issue.get("level") or "error"), max_frames)
        blocks.append((lines[0][:20], len(issues) + order, lines))
    blocks.sort(key=lambda block: (block[0], block[1]))
    return [line for _, _, lines in blocks for line in lines]

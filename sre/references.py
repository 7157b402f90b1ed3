"""Links and identity of what an investigation names: commits and Sentry issues.

The incident payload carries evidence, not addresses; the live sources know more (a
commit's URL, author and pull request on GitHub; a Sentry issue's URL, short id, event and
user counts). The assembler collects them as `References` next to the payload, and the
terminal report and the Slack message turn the SHAs and short ids they print into links.
A payload file gives what it holds (authors) and no URLs.

Only `http(s)` URLs without spaces, quotes or angle brackets are kept: a link is written
into terminal escape sequences and Slack's `<url|text>` syntax, where anything else could
break out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, field_validator

from alpha.schemas import IncidentInput

_SAFE_URL = re.compile(r"https?://[^\s<>|\"'`\\]{1,2000}")
_PR_IN_MESSAGE = re.compile(r"(?:\(#(\d{1,7})\)\s*$|^Merge pull request #(\d{1,7})\b)", re.M)


def safe_url(url: object) -> str | None:
    """`url` when it is a plain http(s) URL that is safe to embed in a link, else None."""
    return url if isinstance(url, str) and _SAFE_URL.fullmatch(url) else None


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("url", "pr_url", check_fields=False)
    @classmethod
    def _safe(cls, value: str | None) -> str | None:
        return safe_url(value)


class CommitRef(_Ref):
    """A commit as GitHub knows it."""

    sha: str
    url: str | None = None
    author: str | None = None
    pr_number: int | None = None
    pr_url: str | None = None

    @property
    def short(self) -> str:
        """The 7-character SHA printed in reports."""
        return self.sha[:7]


class IssueRef(_Ref):
    """A Sentry issue as Sentry knows it."""

    issue_id: str
    short_id: str | None = None
    title: str | None = None
    url: str | None = None
    events: int | None = None
    users: int | None = None

    @property
    def name(self) -> str:
        """How reports name it: the short id (`CHECKOUT-3F`), else the numeric id."""
        return self.short_id or self.issue_id


class References(BaseModel):
    """The commits and Sentry issues of one investigation, as their sources know them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commits: tuple[CommitRef, ...] = ()
    issues: tuple[IssueRef, ...] = ()

    def commit(self, sha: str) -> CommitRef | None:
        """The commit whose SHA starts with `sha` (7 characters or more), if known."""
        sha = sha.lower()
        if len(sha) < 7:
            return None
        for ref in self.commits:
            if ref.sha.lower().startswith(sha) or sha.startswith(ref.sha.lower()):
                return ref
        return None

    def links(self) -> dict[str, str]:
        """Text to link, and where: short SHAs, full SHAs, Sentry short ids."""
        found: dict[str, str] = {}
        for commit in self.commits:
            if commit.url:
                found[commit.sha] = found[commit.short] = commit.url
        for issue in self.issues:
            if issue.url:
                found[issue.name] = issue.url
        return found

    def redacted(self, redact: Callable[[str], str]) -> References:
        """The same references with every free text passed through `redact`."""

        def text(value: str | None) -> str | None:
            return redact(value) if value is not None else None

        return References(
            commits=tuple(c.model_copy(update={"author": text(c.author)}) for c in self.commits),
            issues=tuple(
                i.model_copy(update={"title": text(i.title), "short_id": text(i.short_id)})
                for i in self.issues
            ),
        )


def pr_number_in(message: str) -> int | None:
    """The pull request a merge or squash commit names (`... (#482)`, `Merge pull request #482`)."""
    match = _PR_IN_MESSAGE.search(message.split("\n\n", 1)[0])
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def from_payload(incident: IncidentInput) -> References:
    """What a payload says about its commits by itself: authors and PR numbers, no URLs."""
    return References(
        commits=tuple(
            CommitRef(sha=c.sha, author=c.author, pr_number=pr_number_in(c.message))
            for c in incident.recent_commits
        )
    )

"""Dependency bumps: which libraries a commit bumps, and where the new trouble names them.

A bump is linked to the failure only structurally: a program error with a frame inside the
library's files or an exception type from its namespace, or a new log line that the
library itself wrote (its dotted logger or package name, `org.hibernate.orm.query`). A
shared word in a log message is not enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sre.agents.base import Evidence
from sre.agents.patterns import tokens
from sre.agents.reading import (
    exception_types,
    is_dependency_only,
    path_tokens,
    signal_symptoms,
    signal_text,
)
from sre.signals import CommitSignal, LogTemplateSignal, TroubleSignal

_GENERIC_PACKAGE = frozenset({"golang", "github", "gitlab", "org", "com", "net", "x", "v2", "v3"})
_BUMP = re.compile(
    r"\b(?:bump|bumps|upgrade|upgrades|update|updates)\s+(?:dependency\s+)?"
    r"([@\w.\-/]+?)\s+(?:from|to|\d)",
    re.I,
)
# A library named with a version anywhere in a bump's message: `(hibernate-orm 6.4.1.Final)`,
# `boto3==1.33.6`, `lodash@4.17.21`.
_VERSIONED = re.compile(r"(?<![\w.@/-])([A-Za-z@][\w.\-/@]*?)\s*(?:==|@|\s)\s*v?\d+(?:\.\d+)+")
# Dotted logger or package names in a log line (`org.hibernate.orm.query`, `botocore.hooks`).
_NAMESPACE = re.compile(r"(?<![\w.])[a-z_][\w$]*(?:\.[a-z_][\w$]*)+(?![\w.])")
_NOT_PACKAGES = frozenset({"from", "to", "version", "v"})


@dataclass
class BumpLink:
    """A dependency bump and the new trouble that its libraries are part of."""

    commit: CommitSignal
    packages: list[str]
    errors: list[TroubleSignal] = field(default_factory=list)
    lines: list[LogTemplateSignal] = field(default_factory=list)


def bumped_packages(message: str) -> list[str]:
    """Libraries a bump commit's message names (`Bump x from 1 to 2`, `(y 6.4.1)`), or [].

    Only messages that announce a bump are read: a version number elsewhere means nothing.
    """
    first = [m.group(1).strip("./").lower() for m in _BUMP.finditer(message)]
    if not first:
        return []
    more = [m.group(1).strip("./").lower() for m in _VERSIONED.finditer(message)]
    names = [p for p in first + more if p and p not in _NOT_PACKAGES]
    return list(dict.fromkeys(names))


def _package_words(packages: list[str], skip: set[str]) -> set[str]:
    wanted: set[str] = set()
    for package in packages:
        # `golang.org/x/image` and `@acme/queue` are known by their last segment.
        last = re.split(r"[/:]", package.replace("@", ""))[-1]
        wanted |= tokens(last.replace("-", "_").replace(".", "_")) - skip - _GENERIC_PACKAGE
    return wanted


def _namespace_words(signal: LogTemplateSignal) -> set[str]:
    words: set[str] = set()
    for name in _NAMESPACE.findall(signal_text(signal)):
        for segment in name.split("."):
            words |= tokens(segment)
    return words


def bump_links(evidence: Evidence) -> list[BumpLink]:
    """Dependency-only commits whose bumped libraries the new trouble structurally names."""
    if "bump_links" not in evidence.memo:
        evidence.memo["bump_links"] = _find_links(evidence)
    links: list[BumpLink] = evidence.memo["bump_links"]
    return links


def _find_links(evidence: Evidence) -> list[BumpLink]:
    skip = evidence.service_tokens()
    error_ids = {s.id for s in evidence.code_errors()}
    found = []
    for commit in evidence.commits():
        if not is_dependency_only(commit):
            continue
        packages = bumped_packages(commit.value.message)
        wanted = _package_words(packages, skip)
        if not wanted:
            continue
        link = BumpLink(commit, packages)
        # Only program errors count: an HTTP library is in the stack of every timeout it
        # raises, which says nothing about its new version.
        for signal in evidence.code_errors():
            words: set[str] = set()
            for name in evidence.frame_files([signal]):
                words |= path_tokens(name.replace("-", "_"))
            for kind in exception_types(signal):
                words |= tokens(kind.replace(".", "_"))
            if wanted & words:
                link.errors.append(signal)
        # New lines the library wrote itself, that report no transport fault: it behaves
        # differently since the bump (a new deprecation, a changed query plan).
        for signal in evidence.of(LogTemplateSignal):
            if signal.id in error_ids or not signal.value.is_new:
                continue
            if signal_symptoms(signal) or not wanted & _namespace_words(signal):
                continue
            link.lines.append(signal)
        if link.errors or link.lines:
            found.append(link)
    return found

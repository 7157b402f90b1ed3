"""Commit evidence: one `commit` signal per recent commit, innocent ones included.

Per commit: the kinds of files touched (`sre.extractors.files`), its size, its time
relative to the deploy and to the incident, the files that appear in error stack frames,
the config keys of the config diff that it changes, and risky changes visible in its
patches (`sre.extractors.patterns`), and whether its code changes only touch logging, tracing
or metrics lines (`observability_only`), and whether it only re-formats code for a linter
or formatter (`style_only`). Severity: high when a file is in the stack frames, it
changes a config key of the diff, or a strong risky pattern shows; medium when it touches
code, config, migrations or dependencies; low otherwise (docs, tests, assets only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from alpha.schemas import Commit, CommitFile, IncidentInput, Severity
from sre.extractors.files import changed_lines, classify_file, frame_matches
from sre.extractors.finding import Finding
from sre.extractors.fmt import clip, fmt_num
from sre.extractors.patterns import (
    STRONG_KINDS,
    RiskyChange,
    commit_subject,
    is_format_patch,
    is_observability_patch,
    is_style_config,
    is_style_subject,
    risky_changes,
)
from sre.extractors.timeutil import iso, minutes_between
from sre.signals.values import FILE_KINDS, CommitValue, FileKind, FileKinds

_MAX_RISKY = 20
_MESSAGE_CHARS = 72
_KIND_WORDS = {
    "code": "code",
    "config": "config",
    "migration": "migration",
    "dependency": "dependency",
    "docs_tests": "docs/tests",
    "other": "other",
}
_RISK_WORDS = {
    "removed_error_handling": "removes error handling",
    "removed_null_check": "removes a null check",
    "query_in_loop": "adds a query inside a loop (N+1)",
    "timeout_changed": "changes a timeout",
    "limit_changed": "changes a limit",
    "flag_switched": "switches a flag",
    "schema_change": "changes the schema",
    "added_retry": "adds retries/sleeps",
    "new_query": "adds a query",
    "value_changed": "changes a value",
    "dependency_version": "changes dependency versions",
}


def _size(files: list[CommitFile]) -> tuple[int, int]:
    """Additions and deletions: the payload's counts, else counted from the patches."""
    additions = deletions = 0
    for file in files:
        removed, added = changed_lines(file.patch)
        additions += file.additions if file.additions is not None else len(added)
        deletions += file.deletions if file.deletions is not None else len(removed)
    return additions, deletions


def _observability_only(code: list[CommitFile], file_kinds: Mapping[FileKind, list[str]]) -> bool:
    """Whether every code file's patch only changes logging, tracing or metrics lines.

    Any file that is not code, docs or tests (config, migration, dependency, other), or a
    code file without a patch, leaves the question open: False.
    """
    if not code or any(file_kinds[k] for k in ("config", "migration", "dependency", "other")):
        return False
    return all(is_observability_patch(f.patch) for f in code)


def _style_only(
    message: str, code: list[CommitFile], file_kinds: Mapping[FileKind, list[str]]
) -> bool:
    """Whether the commit only re-formats code (a formatter run, a lint-style change).

    Its message must say so, its other files may only be linter or formatter settings, docs
    or tests, and every code patch that is given must re-lay out the same text; without
    patches the message and the files decide.
    """
    if not code or any(file_kinds[k] for k in ("migration", "dependency")):
        return False
    if not all(is_style_config(f) for f in file_kinds["config"] + file_kinds["other"]):
        return False
    if not is_style_subject(message):
        return False
    return all(is_format_patch(f.patch) for f in code if f.patch)


def _duration(minutes: float) -> str:
    magnitude = abs(minutes)
    if magnitude >= 120:
        return f"{fmt_num(round(magnitude / 60, 1))} h"
    return f"{fmt_num(round(magnitude))} min"


def _timing(before_incident: float | None, before_deploy: float | None) -> str | None:
    for minutes, event in ((before_incident, "incident"), (before_deploy, "deploy")):
        if minutes is not None:
            side = "before" if minutes >= 0 else "after"
            return f"{_duration(minutes)} {side} the {event}"
    return None


def _kinds_text(file_kinds: Mapping[FileKind, list[str]]) -> str:
    parts = []
    for kind in FILE_KINDS:
        count = len(file_kinds[kind])
        if count:
            parts.append(f"{count} {_KIND_WORDS[kind]} file{'s' if count > 1 else ''}")
    return ", ".join(parts) or "no files listed"


def _describe(
    commit: Commit,
    file_kinds: Mapping[FileKind, list[str]],
    timing: str | None,
    in_frames: list[str],
    keys: list[str],
    risky: list[RiskyChange],
) -> str:
    message = clip(commit_subject(commit.message), _MESSAGE_CHARS)
    head = ", ".join(p for p in (_kinds_text(file_kinds), timing) if p)
    text = f"commit {commit.sha[:7]} '{message}' ({head})"
    clauses: list[str] = []
    if in_frames:
        verb = "appears" if len(in_frames) == 1 else "appear"
        clauses.append(f"touches {', '.join(in_frames[:3])}, which {verb} in stack frames")
    if keys:
        clauses.append(f"changes config {', '.join(keys[:3])}")
    files_by_kind: dict[str, list[str]] = {}
    for change in risky:
        files = files_by_kind.setdefault(change.kind, [])
        if change.file not in files:
            files.append(change.file)
    for kind, files in list(files_by_kind.items())[:3]:
        clauses.append(f"{_RISK_WORDS.get(kind, kind)} in {', '.join(files[:3])}")
    return text + (" " + "; ".join(clauses) if clauses else "")


def _severity(
    file_kinds: Mapping[FileKind, list[str]],
    in_frames: list[str],
    keys: list[str],
    risky: list[RiskyChange],
) -> Severity:
    if in_frames or keys or any(c.kind in STRONG_KINDS for c in risky):
        return "high"
    if risky or any(file_kinds[k] for k in ("code", "config", "migration", "dependency")):
        return "medium"
    return "low"


def commit_finding(
    commit: Commit,
    *,
    deployed_at: datetime | None,
    incident_started_at: datetime | None,
    frame_files: list[str],
    config_keys: list[str],
) -> Finding:
    """The `commit` finding of one commit (value keys in `sre.extractors`' docstring)."""
    files = commit.file_objects()
    file_kinds: dict[FileKind, list[str]] = {kind: [] for kind in FILE_KINDS}
    code: list[CommitFile] = []
    risky: list[RiskyChange] = []
    in_frames: list[str] = []
    for file in files:
        kind = classify_file(file.filename)
        file_kinds[kind].append(file.filename)
        if kind == "code":
            code.append(file)
        risky.extend(risky_changes(file.filename, kind, file.patch))
        if any(frame_matches(frame, file.filename) for frame in frame_files):
            in_frames.append(file.filename)
    risky = risky[:_MAX_RISKY]
    additions, deletions = _size(files)
    before_deploy = minutes_between(commit.timestamp, deployed_at)
    before_incident = minutes_between(commit.timestamp, incident_started_at)
    value = CommitValue(
        sha=commit.sha,
        message=commit.message,
        author=commit.author,
        timestamp=iso(commit.timestamp),
        minutes_before_deploy=before_deploy,
        minutes_before_incident=before_incident,
        file_kinds=FileKinds.model_validate(file_kinds),
        additions=additions,
        deletions=deletions,
        files_in_stack_frames=in_frames,
        config_keys=config_keys,
        risky_changes=[c.as_value() for c in risky],
        observability_only=_observability_only(code, file_kinds),
        style_only=_style_only(commit.message, code, file_kinds),
    )
    timing = _timing(before_incident, before_deploy)
    return Finding(
        description=_describe(commit, file_kinds, timing, in_frames, config_keys, risky),
        severity=_severity(file_kinds, in_frames, config_keys, risky),
        value=value,
    )


def extract_commits(
    incident: IncidentInput,
    frame_files: list[str],
    commit_shas_by_key: Mapping[str, list[str]],
) -> list[Finding]:
    """One finding per recent commit, in payload order.

    Args:
        incident: the incident payload.
        frame_files: stack-frame files seen in the incident window (from the log extractor).
        commit_shas_by_key: config keys of the diff mapped to the commits that change them
            (`ConfigExtraction.commit_shas`).
    """
    return [
        commit_finding(
            commit,
            deployed_at=incident.deployed_at,
            incident_started_at=incident.incident_started_at,
            frame_files=frame_files,
            config_keys=sorted(k for k, shas in commit_shas_by_key.items() if commit.sha in shas),
        )
        for commit in incident.recent_commits
    ]

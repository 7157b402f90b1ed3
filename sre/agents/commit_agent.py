"""CommitAgent: which recent commit, if any, shipped the fault.

A commit is blamed only on specific evidence linking it to the failure: stack frames in
files it changed, its modules named by the new errors, data-access code changed while the
database load rose, a migration while locks pile up, a bumped library that appears in the
frames or logs new lines of its own, or being the only code change when new program errors
appear. Docs-only commits, dependency bumps the failing code does not use, and changes with
no overlap with the symptoms are never blamed, however recent; logging-only and
formatting-only commits only for program errors raised in the files they touched.
"""

from __future__ import annotations

import re

from alpha.schemas import Hypothesis, Signal
from sre.agents.base import (
    MEDIUM,
    STRONG,
    WEAK,
    AgentBrief,
    Evidence,
    SpecialistAgent,
    hypothesis,
    merge_candidates,
)
from sre.agents.bumps import bump_links
from sre.agents.reading import (
    app_files,
    commit_kind_files,
    exception_types,
    is_cosmetic,
    is_dependency_only,
    is_docs_only,
    is_error_level,
    is_style_only,
    short_sha,
    signal_text,
)
from sre.agents.relations import change_weights, config_label, key_support, rising_metrics
from sre.extractors.fmt import clip
from sre.extractors.patterns import commit_subject
from sre.signals import (
    CommitSignal,
    ExceptionSignal,
    LogSignal,
    LogTemplateSignal,
    MetricSignal,
)

_DB_SYMPTOMS = ("slow_query", "lock", "conn_pool", "too_many_connections")
_DB_METRICS = frozenset({"db"})
# The locks only schema changes take: PostgreSQL's ACCESS EXCLUSIVE (ALTER/DROP TABLE),
# MySQL's metadata lock, SQL Server's schema-modification lock.
_SCHEMA_LOCK = re.compile(
    r"AccessExclusiveLock|access exclusive lock|table metadata lock|\bSch-M\b|LCK_M_SCH_M",
    re.I,
)


class CommitAgent(SpecialistAgent):
    """Blames recent commits on specific, cross-referenced evidence only."""

    name = "CommitAgent"
    model = "anthropic/claude-sonnet-4-6"
    brief = AgentBrief("recent commits, their diffs and deploy timing", ("commits",))

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Code-regression and config-change hypotheses naming the commits behind them."""
        code_commits = [
            c
            for c in evidence.commits()
            if not is_docs_only(c) and commit_kind_files(c, "code", "migration")
        ]
        found: list[Hypothesis] = []
        for commit in evidence.commits():
            if is_docs_only(commit):
                continue
            found.extend(_config_blame(commit, evidence))
            blame = _code_blame(commit, evidence, sole=len(code_commits) == 1)
            if blame is not None:
                found.append(blame)
        return merge_candidates(found)


def _config_blame(commit: CommitSignal, evidence: Evidence) -> list[Hypothesis]:
    """config_change hypotheses for the changed keys this commit touched and that matter."""
    sha = commit.value.sha
    keys = list(commit.value.config_keys)
    for diff in evidence.config_changes():
        key = diff.value.key
        if sha in evidence.shas_for_key(key):
            keys.append(key)
    found = []
    for key in dict.fromkeys(keys):
        change = evidence.config_change_for(key)
        if change is None:
            continue
        support = key_support(key, evidence)
        if not support:
            continue
        found.append(
            hypothesis(
                label=config_label(change),
                description=(
                    f"Commit {short_sha(sha)} changed {key}; " + "; ".join(support.reasons) + "."
                ),
                category="config_change",
                suspects=[key, *evidence.shas_for_key(key), sha],
                weights=change_weights(change, support, evidence),
                signals=[change.id, commit.id, *(s.id for s in support.signals)],
            )
        )
    return found


def _code_blame(commit: CommitSignal, evidence: Evidence, *, sole: bool) -> Hypothesis | None:
    """A code_regression hypothesis when specific evidence links this commit to the errors."""
    if is_dependency_only(commit):
        return _dependency_blame(commit, evidence)
    code = commit_kind_files(commit, "code", "migration")
    if not code:
        return None
    weights: list[float] = []
    cited: list[Signal] = [commit]
    reasons: list[str] = []
    focus = ""

    frame_hits = evidence.frame_hits(commit)
    if is_cosmetic(commit):
        return _observability_blame(commit, evidence, frame_hits)
    if frame_hits:
        hit_signals = evidence.signals_with_frames(frame_hits)
        cited.extend(hit_signals[:4])
        reasons.append(f"stack frames in files it changed ({', '.join(frame_hits[:3])})")
        focus = frame_hits[0]
        error_ids = {s.id for s in evidence.code_errors()}
        # A program error raised in the changed file is the commit's; a timeout or a lock
        # wait merely passing through it is weaker evidence.
        errors = [s for s in hit_signals if s.id in error_ids]
        if errors:
            # Raised in a file it changed, or only passing through a caller it changed.
            raised_here = not evidence.raised_elsewhere(errors, frame_hits)
            weights.extend([STRONG, MEDIUM] if raised_here else [STRONG])
        else:
            weights.extend([MEDIUM, WEAK])

    named = evidence.module_overlap(code)
    if named:
        # A module name shared with a timeout or a dependency's 5xx is a weaker link than
        # with a program error: the fault came from outside whichever module reported it.
        program = {s.id for s in evidence.code_errors()} & {s.id for s in named}
        weights.append(MEDIUM if not frame_hits and program else WEAK)
        cited.extend(s for s in named[:3] if s not in cited)
        reasons.append("the new errors name modules it changed")

    data = _data_access_load(commit, evidence)
    if data:
        weights.append(MEDIUM)
        cited.extend(s for s in data[:3] if s not in cited)
        reasons.append("it changed data-access code and the database load rose after the deploy")

    locks = evidence.symptom_signals("lock") if commit_kind_files(commit, "migration") else []
    if locks:
        # Waits for the lock only a schema change takes are the migration's own doing;
        # other lock waits may be any transaction's.
        schema_locks = [s for s in locks if _SCHEMA_LOCK.search(signal_text(s))]
        weights.append(STRONG if schema_locks else MEDIUM)
        cited.extend(s for s in (schema_locks or locks)[:3] if s not in cited)
        reasons.append(
            "it ships a migration while waits for a schema change's lock appeared"
            if schema_locks
            else "it ships a migration while lock waits appeared"
        )

    errors = evidence.code_errors()
    if sole and errors:
        # Errors whose own frames miss this commit's files argue against it.
        framed = bool(app_files(evidence.frame_files(errors))) and not frame_hits
        weights.append(WEAK if framed else MEDIUM if weights else MEDIUM + WEAK)
        cited.extend(s for s in errors[:3] if s not in cited)
        reasons.append("it is the only code change and new program errors appeared after it")

    if not weights:
        return None
    weights.extend(evidence.staleness())
    risky = commit.value.risky_changes
    if risky:
        weights.append(WEAK * min(2, len(risky)))
        reasons.append(f"{len(risky)} risky change(s) in its diff")
    sha = commit.value.sha
    return hypothesis(
        label=_code_label(sha, focus, cited, evidence),
        description=f"Commit {short_sha(sha)} ({_subject(commit)}): " + "; ".join(reasons) + ".",
        category="code_regression",
        suspects=[sha],
        weights=weights,
        signals=[s.id for s in cited],
    )


def _observability_blame(
    commit: CommitSignal, evidence: Evidence, frame_hits: list[str]
) -> Hypothesis | None:
    """A commit that only changed logging lines or formatting is blamed only for program
    errors raised in the files it changed (a bad log argument, a formatter's slip), never
    for lock waits, timeouts or load merely passing through them."""
    error_ids = {s.id for s in evidence.code_errors()}
    errors = [s for s in evidence.signals_with_frames(frame_hits) if s.id in error_ids]
    if not errors:
        return None
    sha = commit.value.sha
    cited: list[Signal] = [commit, *errors[:4]]
    return hypothesis(
        label=_code_label(sha, frame_hits[0], cited, evidence),
        description=(
            f"Commit {short_sha(sha)} ({_subject(commit)}) only changed "
            f"{'formatting' if is_style_only(commit) else 'logging lines'}, in "
            f"{', '.join(frame_hits[:3])}, where new program errors are raised."
        ),
        category="code_regression",
        suspects=[sha],
        weights=[MEDIUM, *evidence.staleness()],
        signals=[s.id for s in cited],
    )


def _data_access_load(commit: CommitSignal, evidence: Evidence) -> list[MetricSignal | LogSignal]:
    """Database-load evidence, when the commit changed data-access code on the failing path.

    None when the trouble began more than VERY_STALE_HOURS after the deploy: a query
    regression loads the database with the first real traffic, not a day later.
    """
    if evidence.is_very_stale():
        return []
    if all(c.id != commit.id for c in evidence.data_access_commits()):
        return []
    load: list[MetricSignal | LogSignal] = [*rising_metrics(evidence, _DB_METRICS, growth=False)]
    for symptom in _DB_SYMPTOMS:
        load.extend(s for s in evidence.symptom_signals(symptom) if s not in load)
    return load


def _dependency_blame(commit: CommitSignal, evidence: Evidence) -> Hypothesis | None:
    """Blame a dependency bump only when the bumped library is part of the new trouble.

    The evidence must be structural (`sre.agents.bumps`): program errors in the library's
    frames or namespace weigh most; new lines the library itself logs since the bump, with
    errors rising beside them, less.
    """
    link = next((b for b in bump_links(evidence) if b.commit.id == commit.id), None)
    if link is None:
        return None
    sha = commit.value.sha
    package = link.packages[0]
    if link.errors:
        weights = [STRONG, MEDIUM]
        where = "which is in the failing stack"
    else:
        # A new warning from the library says it behaves differently; errors after the
        # deploy say the difference hurts.
        weights = [MEDIUM, WEAK] + ([WEAK] if _errors_rose(evidence) else [])
        where = "whose own new log lines appeared after the deploy"
    return hypothesis(
        label=f"Dependency bump {short_sha(sha)} ({package}) broke the failing path",
        description=f"Commit {short_sha(sha)} bumped {package}, {where}.",
        category="code_regression",
        suspects=[sha],
        weights=[*weights, *evidence.staleness()],
        signals=[commit.id, *(s.id for s in (link.errors + link.lines)[:4])],
    )


def _errors_rose(evidence: Evidence) -> bool:
    """Whether new or rising error-level log trouble appeared after the deploy."""
    return any(is_error_level(s) for s in evidence.trouble())


def _subject(commit: CommitSignal) -> str:
    return clip(commit_subject(commit.value.message), 60)


def _code_label(sha: str, focus: str, cited: list[Signal], evidence: Evidence) -> str:
    """`Commit 9f3c2ab introduced a KeyError in checkout/cart.py` when the evidence allows."""
    error_ids = {s.id for s in evidence.code_errors()}
    errors = [
        t
        for s in cited
        if s.id in error_ids and isinstance(s, LogTemplateSignal | ExceptionSignal)
        for t in exception_types(s)
    ]
    where = f" in {focus}" if focus else ""
    if errors:
        return f"Commit {short_sha(sha)} introduced {errors[0]}{where}"
    return f"Commit {short_sha(sha)} regressed{where or ' the failing path'}"

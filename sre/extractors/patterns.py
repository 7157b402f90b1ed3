"""Risky changes visible in a patch, by generic language-agnostic patterns.

Only changed lines are judged (plus the new side's context, to see whether an added query
sits inside a loop). Kinds:

- strong: `removed_error_handling` (more `except`/`catch`/`rescue`/`if err != nil` lines
  removed than added), `removed_null_check` (likewise for `is None`, `!= null`, `?.`, ...),
  `query_in_loop` (an added query call or SQL under a `for`/`while`/`.forEach` line within
  8 lines above it: N+1), `timeout_changed`, `limit_changed`, `flag_switched` (a
  `key: value` / `key = value` on removed and added lines with different values, by the
  key's name), `schema_change` (DDL such as `ALTER TABLE`, `DROP`, `CREATE INDEX`, or
  migration operations such as `AddField`, `add_column`);
- weak: `added_retry` (retry/backoff/sleep/`while True`), `new_query`, `value_changed`,
  `dependency_version` (a manifest's package versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.extractors.files import changed_lines
from sre.extractors.fmt import clip
from sre.extractors.keywords import LIMIT_TOKENS, concepts, tokens
from sre.signals.values import RiskyChangeValue

STRONG_KINDS = frozenset(
    {
        "removed_error_handling",
        "removed_null_check",
        "query_in_loop",
        "timeout_changed",
        "limit_changed",
        "flag_switched",
        "schema_change",
    }
)
_MAX_PER_KIND = 3
_LOOP_LOOKBACK = 8
_DETAIL_CHARS = 100

_ERROR_HANDLING = re.compile(
    r"^\s*(except\b|try\s*[:{]|try\s*$|}?\s*catch\b|rescue\b|ensure\b|finally\s*[:{])"
    r"|if\s+err\s*!=\s*nil|\.catch\s*\(|recover\(\)"
)
_NULL_CHECK = re.compile(
    r"\bis\s+(not\s+)?None\b|[!=]==?\s*(null|nil|None|undefined)\b"
    r"|\b(null|nil|undefined)\s*[!=]==?|\bif\s+not\s+[\w.]+\s*:|Objects\.(isNull|nonNull)"
    r"|requireNonNull|Optional\.ofNullable|\?\.|\?\?|\.isPresent\(\)|\.nil\?"
)
_RETRY = re.compile(
    r"\b(retry|retries|retrying|backoff|max_attempts)\b|\bsleep\s*\(|\bwhile\s+True\b"
    r"|while\s*\(\s*true\s*\)|setTimeout\s*\(",
    re.IGNORECASE,
)
_LOOP = re.compile(
    r"^\s*(for\b|while\b|foreach\b|loop\b)|\.(forEach|each|map|flatMap)\s*[({]|\.each\s+do\b"
)
_QUERY = re.compile(
    r"\.objects\.\w+\(|\.(query|execute|executemany|raw|find_one|findOne|findAll|get_by_id"
    r"|where|filter_by|select_related)\s*\(|\.find(By\w+|_by_\w+)\s*\("
    r"|\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|session\.(get|query)\s*\(|[Rr]epository\.\w+\s*\(|\bdb\.\w+\s*\(",
)
_DDL = re.compile(
    r"\b(ALTER\s+TABLE|DROP\s+(TABLE|COLUMN|INDEX|CONSTRAINT)|CREATE\s+(UNIQUE\s+)?INDEX"
    r"|LOCK\s+TABLE|RENAME\s+(COLUMN|TO)|ADD\s+COLUMN|TRUNCATE)\b"
    r"|\b(AddField|RemoveField|AlterField|RenameField|AddIndex|RemoveIndex|AddConstraint"
    r"|RunSQL|DeleteModel|add_column|remove_column|change_column|add_index|remove_index"
    r"|rename_column|drop_table|drop_column|alter_column|create_index)\b",
    re.IGNORECASE,
)
_ASSIGN = re.compile(
    r"([A-Za-z_][\w.\-]*)\s*['\"]?\s*[:=]\s*['\"]?(-?\d+(?:\.\d+)?|true|false)\b", re.IGNORECASE
)
_DEPENDENCY = re.compile(
    r"^\s*['\"]?([A-Za-z0-9_.@/\-]+?)['\"]?\s*(?:==|>=|<=|~=|\^|:|=|\s)\s*['\"]?[\^~>=<]*\s*"
    r"v?(\d+(?:\.[\w\-+]+)*)"
)
_FLAG_TOKENS = frozenset({"feature", "flag", "flags", "enabled", "enable", "toggle", "default"})


@dataclass(frozen=True)
class RiskyChange:
    """One risky change seen in a patch: the file, a kind (module docstring), a detail."""

    file: str
    kind: str
    detail: str

    def as_value(self) -> RiskyChangeValue:
        """The form used in the `commit` signal's `risky_changes`."""
        return RiskyChangeValue(file=self.file, kind=self.kind, detail=self.detail)


def _detail(line: str) -> str:
    return clip(" ".join(line.split()), _DETAIL_CHARS)


def _count(pattern: re.Pattern[str], lines: list[str]) -> tuple[int, str | None]:
    hits = [line for line in lines if pattern.search(line)]
    return len(hits), (hits[0] if hits else None)


def _removed_more(
    pattern: re.Pattern[str], kind: str, file: str, removed: list[str], added: list[str]
) -> list[RiskyChange]:
    gone, example = _count(pattern, removed)
    new, _ = _count(pattern, added)
    if gone > new and example is not None:
        return [RiskyChange(file, kind, "removed: " + _detail(example))]
    return []


def _new_side(patch: str) -> list[tuple[bool, str]]:
    """The lines of the new file version in the patch: (is_added, text)."""
    side: list[tuple[bool, str]] = []
    for line in patch.splitlines():
        if line.startswith(("+++", "---", "@@", "-", "\\")):
            continue
        if line.startswith("+"):
            side.append((True, line[1:]))
        else:
            side.append((False, line[1:] if line.startswith(" ") else line))
    return side


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _queries(file: str, patch: str) -> list[RiskyChange]:
    side = _new_side(patch)
    found: list[RiskyChange] = []
    for index, (is_added, line) in enumerate(side):
        if not is_added or not _QUERY.search(line):
            continue
        window = side[max(0, index - _LOOP_LOOKBACK) : index]
        in_loop = any(_LOOP.search(text) and _indent(text) < _indent(line) for _, text in window)
        kind = "query_in_loop" if in_loop else "new_query"
        found.append(RiskyChange(file, kind, _detail(line)))
    return found


def _assignments(lines: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        for key, value in _ASSIGN.findall(line):
            values[key] = value.lower()
    return values


def _value_kind(key: str, old: str | None, new: str) -> str:
    key_tokens = set(tokens(key))
    if key_tokens & {"timeout", "deadline", "ttl"}:
        return "timeout_changed"
    if new in {"true", "false"} and old in {"true", "false"}:
        return "flag_switched" if key_tokens & _FLAG_TOKENS else "value_changed"
    if key_tokens & (LIMIT_TOKENS | {"retries", "attempts", "batch", "threshold"}):
        return "limit_changed"
    if concepts(key) & {"conn", "worker"}:
        return "limit_changed"
    return "value_changed"


def _values(file: str, removed: list[str], added: list[str]) -> list[RiskyChange]:
    before, after = _assignments(removed), _assignments(added)
    found: list[RiskyChange] = []
    for key in sorted(after):
        old = before.get(key)
        if old is not None and old != after[key]:
            kind = _value_kind(key, old, after[key])
            found.append(RiskyChange(file, kind, f"{key}: {old} -> {after[key]}"))
        elif old is None and _value_kind(key, None, after[key]) == "timeout_changed":
            found.append(RiskyChange(file, "timeout_changed", f"{key}: set to {after[key]}"))
    return found


def _versions(lines: list[str]) -> dict[str, str]:
    versions: dict[str, str] = {}
    for line in lines:
        match = _DEPENDENCY.match(line)
        if match:
            versions[match.group(1).lower()] = match.group(2)
    return versions


def _dependencies(file: str, removed: list[str], added: list[str]) -> list[RiskyChange]:
    before, after = _versions(removed), _versions(added)
    found: list[RiskyChange] = []
    for name in sorted(after):
        if before.get(name) == after[name]:
            continue
        old = before.get(name)
        detail = f"{name} {old} -> {after[name]}" if old else f"{name} {after[name]} added"
        found.append(RiskyChange(file, "dependency_version", detail))
    return found


def risky_changes(filename: str, kind: str, patch: str | None) -> list[RiskyChange]:
    """Risky changes in one file's patch (at most 3 per kind), in a fixed order.

    Args:
        filename: the file's path in the repository.
        kind: its kind from `sre.extractors.files.classify_file`.
        patch: its unified diff, or None when the payload has none.
    """
    if not patch:
        if kind == "migration":
            return [RiskyChange(filename, "schema_change", "migration changed (no patch given)")]
        if kind == "dependency":
            return [RiskyChange(filename, "dependency_version", "manifest changed (no patch)")]
        return []
    removed, added = changed_lines(patch)
    found: list[RiskyChange] = []
    if kind != "docs_tests":
        found += _removed_more(_ERROR_HANDLING, "removed_error_handling", filename, removed, added)
        found += _removed_more(_NULL_CHECK, "removed_null_check", filename, removed, added)
        found += _queries(filename, patch)
        found += [
            RiskyChange(filename, "schema_change", _detail(x)) for x in added if _DDL.search(x)
        ]
        found += [
            RiskyChange(filename, "added_retry", _detail(x)) for x in added if _RETRY.search(x)
        ]
    if kind not in {"docs_tests", "dependency"}:
        found += _values(filename, removed, added)
    if kind == "dependency":
        found += _dependencies(filename, removed, added)
    return _capped(found)


def _capped(found: list[RiskyChange]) -> list[RiskyChange]:
    per_kind: dict[str, int] = {}
    kept: list[RiskyChange] = []
    for change in found:
        if per_kind.get(change.kind, 0) < _MAX_PER_KIND and change not in kept:
            per_kind[change.kind] = per_kind.get(change.kind, 0) + 1
            kept.append(change)
    return kept


# A call on a logger, tracer or metrics client (`s.log.Error(`, `logger.warning(`,
# `console.log(`, `span.set_attribute(`, `statsd.incr(`), or a structured-field helper of a
# logging library (`zap.String(`, `slog.Int(`): lines that only change what is reported.
_OBSERVABILITY_CALL = re.compile(
    r"^\s*(?:await\s+)?(?:[\w$]+\.)*(?:"
    r"(?:log|logger|logging|_log|_logger|slog|zap|zerolog|logrus|console|tracer|span|"
    r"metrics|statsd|meter|sentry)\s*\.\s*\w+\s*\(|"
    r"(?:log|logger)\w*\s*\(|fmt\.(?:Print|Fprint)\w*\s*\(|print(?:ln|f)?\s*\()",
    re.IGNORECASE,
)
# A second statement on the same line (`logger.info(x); db.query(y)`) is not logging.
_SECOND_STATEMENT = re.compile(r";\s*[^\s})\]]")
_COMMENT_OR_SYNTAX = re.compile(r"^\s*(?:#|//|/\*|\*|--|[)\]}]+[;,]?\s*$|$)")


def is_observability_patch(patch: str | None) -> bool:
    """Whether a patch changes only logging, tracing or metrics lines (and comments).

    Such a change alters what the service reports, not what it does, so it cannot explain
    lock waits, timeouts or load. A call spread over several lines counts as one: lines
    inside the parentheses of an open logging call are its arguments. Unknown (no patch) is
    not observability-only.

    Args:
        patch: a unified diff, or None.
    """
    removed, added = changed_lines(patch)
    return bool(_code_lines(removed) or _code_lines(added)) and all(
        _only_observability(side) for side in (removed, added)
    )


def _code_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if not _COMMENT_OR_SYNTAX.match(line)]


def _only_observability(lines: list[str]) -> bool:
    """Whether each changed line of one side is a logging call or inside one."""
    depth = 0
    for line in lines:
        opened = line.count("(") - line.count(")")
        if depth > 0:
            # An argument line of the call opened above.
            depth = max(0, depth + opened)
            continue
        if _COMMENT_OR_SYNTAX.match(line):
            continue
        if not _OBSERVABILITY_CALL.search(line) or _SECOND_STATEMENT.search(line):
            return False
        depth = max(0, opened)
    return True


# A subject announcing a formatting or lint-style change: a conventional `style:`/`fmt:`
# prefix, a formatter or linter by name, or formatting words. `black` is a common word, so
# it counts only when run or applied.
_STYLE_SUBJECT = re.compile(
    r"^\s*(?:style|format|fmt|lint)(?:\([\w./-]*\))?!?:|"
    r"\b(?:rubocop|prettier|gofmt|goimports|eslint|isort|rustfmt|clang-format|ktlint|spotless|"
    r"stylelint|standardrb|autopep8|yapf|swiftformat|swiftlint|scalafmt|ruff format)\b|"
    r"\b(?:run|ran|apply|applied)\s+black\b|"
    r"\b(?:reformat\w*|formatting|whitespace|code style|coding style|lint(?:er)? fix(?:es)?|"
    r"fix(?:es)? lint\w*|trailing commas?|indentation)\b",
    re.IGNORECASE,
)
# Words saying the commit also changes behaviour, whatever formatting it does besides.
_BEHAVIOUR_WORDS = re.compile(
    r"\b(?:bug|crash|regression|feat|feature|adds?|added|removes?|removed|refactor\w*|"
    r"logic|behaviou?r|query|queries|timeout|retry|retries)\b",
    re.IGNORECASE,
)
# Linter and formatter settings files (`.rubocop.yml`, `.prettierrc`, `.editorconfig`).
_STYLE_CONFIG = re.compile(
    r"(?:^|/)\.?(?:rubocop|standard|prettier|eslint|editorconfig|flake8|pylintrc|ruff|isort|"
    r"stylelint|"
    r"golangci|clang-format|rustfmt|ktlint|swiftlint|swiftformat|scalafmt|yamllint|"
    r"markdownlint)[\w.-]*$",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"'": '"', "`": '"'})


def commit_subject(message: str) -> str:
    """A commit message's first line (its subject), or "" for an empty message."""
    text = message.strip()
    return text.splitlines()[0] if text else ""


def is_style_subject(message: str) -> bool:
    """Whether a commit message announces a formatting or lint-style change only."""
    subject = commit_subject(message)
    return bool(_STYLE_SUBJECT.search(subject)) and not _BEHAVIOUR_WORDS.search(subject)


def is_style_config(filename: str) -> bool:
    """Whether a file holds linter or formatter settings (they change no behaviour)."""
    return bool(_STYLE_CONFIG.search(filename.replace("\\", "/")))


def is_format_patch(patch: str | None) -> bool:
    """Whether a patch only re-lays out code: the same text on both sides once whitespace,
    quote style, line wrapping and trailing commas or semicolons are ignored.

    Unknown (no patch) is not format-only.
    """
    removed, added = changed_lines(patch)
    if not removed and not added:
        return False
    return _layout_free(removed) == _layout_free(added)


def _layout_free(lines: list[str]) -> str:
    text = "".join(lines).translate(_QUOTES)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"[,;]+(?=[)\]}]|$)", "", text)

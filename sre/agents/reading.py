"""Reading signal values: the helpers every rule uses to look at logs, commits and text.

Pure functions over the typed signals of `sre.signals` (what several signal types have in
common: the text of a log signal, its symptoms, a metric's name), plus tolerant parsers for
the free text of log lines (source paths, hosts, exception names) for formats the
extractors could not unpack.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any

from sre.agents.patterns import ERROR_KIND_SYMPTOMS, symptoms_in, symptoms_of_status, tokens
from sre.extractors.fmt import clip
from sre.signals import (
    CommitSignal,
    DependencyErrorsSignal,
    ExceptionSignal,
    LogSignal,
    LogTemplateSignal,
    MetricAnomalySignal,
    MetricSignal,
    TroubleSignal,
)
from sre.signals.values import FileKind

# A new template or exception, or one whose rate rose at least this much, is "new trouble".
RISE_RATIO = 3.0


def short_sha(sha: str) -> str:
    """The 7-character form used in labels (suspects keep the full SHA)."""
    return sha[:7]


def is_sha(value: str) -> bool:
    """Whether a suspect is a commit SHA (7 or more hex digits)."""
    return len(value) >= 7 and all(c in "0123456789abcdef" for c in value.lower())


def fmt_value(value: Any) -> str:
    """A config or metric value written compactly (5, 0.25, true, "x")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "unset"
    text = str(value)
    return clip(text, 40)


def is_ip(host: str) -> bool:
    """Whether a host is an IP address (`10.0.0.7`, `[::1]`), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_iso(text: object) -> datetime | None:
    """An ISO-8601 time (a trailing Z accepted), or None when absent or malformed."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _norm_path(path: str) -> str:
    return path.replace("\\", "/").strip().lstrip("./").lower()


def paths_match(a: str, b: str) -> bool:
    """Whether two file paths name the same file (one is a path-suffix of the other).

    Stack frames carry absolute or package-relative paths (`/srv/app/checkout/cart.py`,
    `com/shop/Cart.java`) while commits carry repository paths; a suffix at a path boundary
    is the same file, a bare shared basename (`__init__.py`) is not enough unless its parent
    directory matches too.
    """
    x, y = _norm_path(a), _norm_path(b)
    if not x or not y:
        return False
    if x == y:
        return True
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if long.endswith("/" + short) and "/" in short:
        return True
    xs, ys = x.split("/"), y.split("/")
    return len(xs) >= 2 and len(ys) >= 2 and xs[-2:] == ys[-2:]


def path_tokens(path: str) -> set[str]:
    """Meaningful tokens of a file path (directories and stem, without generic words)."""
    stem = re.sub(r"\.[a-z0-9]+$", "", _norm_path(path))
    # Split CamelCase (`BundleReservationService`) into words too.
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem.replace("/", "_"))
    raw = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", re.sub(r"\.[A-Za-z0-9]+$", "", path))
    return tokens(spaced) | tokens(raw.replace("/", "_"))


def module_tokens(
    path: str, exclude: set[str] | frozenset[str] = frozenset()
) -> tuple[set[str], set[str]]:
    """Tokens of a file's stem and of its parent directory, minus `exclude`.

    Deeper directories (`src/main/java/com/acme/<service>`) name the project, not the
    module, and would link every file of the repository to every error.
    """
    parts = path.replace("\\", "/").split("/")
    stem = path_tokens(parts[-1]) - set(exclude)
    parent = (path_tokens(parts[-2]) if len(parts) >= 2 else set()) - set(exclude)
    return stem, parent - stem


def flatten_items(config: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, leaf value) pairs of a nested config mapping, in document order."""
    if not isinstance(config, dict):
        return [(prefix, config)] if prefix else []
    items: list[tuple[str, Any]] = []
    for name, value in config.items():
        items.extend(flatten_items(value, f"{prefix}.{name}" if prefix else str(name)))
    return items


def is_trouble(signal: TroubleSignal) -> bool:
    """Whether a log template or exception is new since the deploy or rose sharply."""
    value = signal.value
    if value.is_new:
        return True
    ratio = signal.value.rate_ratio if isinstance(signal, LogTemplateSignal) else None
    if ratio is not None and ratio >= RISE_RATIO:
        return True
    before, after = float(value.count_before), float(value.count_after)
    return after >= 3 and after >= RISE_RATIO * max(before, 1)


_SOURCE_FILE = re.compile(
    r"(?<![\w.])((?:[\w.@-]+/)*[\w@-]+\.(?:py|js|mjs|cjs|jsx|ts|tsx|go|java|kt|scala|rb|php|cs|"
    r"rs|cc|cpp|lua|ex|exs|swift))(?=[:\s)\"',]|$)"
)


_EXCEPTION_NAME = re.compile(
    r"\b((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Panic|Fault))\b|\b(panic):"
)


_ERROR_LEVELS = frozenset(
    {"ERROR", "FATAL", "CRITICAL", "SEVERE", "PANIC", "EMERG", "ALERT", "ERR"}
)


def text_files(text: str) -> list[str]:
    """Source file paths named in free text (stack lines the extractor did not parse)."""
    return list(dict.fromkeys(m.group(1).lstrip("/") for m in _SOURCE_FILE.finditer(text)))


def exception_types(signal: LogSignal) -> list[str]:
    """Exception type names carried by a log template or exception signal.

    Falls back to names that look like exception types in the example text, for formats
    whose nested error objects the extractor could not unpack.
    """
    found: list[str] = []
    if isinstance(signal, LogTemplateSignal):
        found.extend(signal.value.exception_types)
    elif isinstance(signal, ExceptionSignal) and signal.value.exception_type:
        found.append(signal.value.exception_type)
    if not found and not isinstance(signal, DependencyErrorsSignal):
        for match in _EXCEPTION_NAME.finditer(signal_text(signal)):
            found.append(match.group(1) or match.group(2))
    return list(dict.fromkeys(found))


def is_error_level(signal: LogSignal) -> bool:
    """Whether a log signal is an error (not a warning or info line)."""
    if not isinstance(signal, LogTemplateSignal):
        return True
    level = signal.value.level.upper()
    if level in _ERROR_LEVELS:
        return True
    if level in ("", "UNKNOWN"):
        return bool(exception_types(signal)) or bool(
            re.search(r"\b(?:error|failed|failure|exception|fatal)\b", signal_text(signal), re.I)
        )
    return False


def signal_text(signal: LogSignal) -> str:
    """The searchable text of a log signal: template, message, example, exception types."""
    if isinstance(signal, LogTemplateSignal):
        value = signal.value
        parts = [value.template, value.example, *value.exception_types]
    elif isinstance(signal, ExceptionSignal):
        parts = [signal.value.message, signal.value.exception_type]
    else:
        parts = [signal.value.example]
    return " ".join(p for p in parts if p)


def signal_symptoms(signal: LogSignal) -> set[str]:
    """Symptom families of a log signal, from its text, status codes and error kinds."""
    found = set(symptoms_in(signal_text(signal)))
    if isinstance(signal, ExceptionSignal):
        return found
    found |= symptoms_of_status(signal.value.status_codes)
    if isinstance(signal, DependencyErrorsSignal):
        for kind in signal.value.error_kinds:
            mapped = ERROR_KIND_SYMPTOMS.get(kind)
            if mapped:
                found.add(mapped)
    return found


def signal_hosts(signal: LogSignal) -> list[str]:
    """The hosts a log signal names: a failing host's own name, a template's hosts."""
    if isinstance(signal, DependencyErrorsSignal):
        return [signal.value.host]
    return list(signal.value.hosts) if isinstance(signal, LogTemplateSignal) else []


def signal_files(signal: LogSignal) -> list[str]:
    """The stack-frame files a log template or exception lists ([] for a failing host)."""
    return [] if isinstance(signal, DependencyErrorsSignal) else list(signal.value.files)


def frame_files_of(signal: LogSignal) -> list[str]:
    """The files of an exception's stack frames, in frame order ([] for other signals)."""
    if not isinstance(signal, ExceptionSignal):
        return []
    return [frame.file for frame in signal.value.frames if frame.file]


def first_seen(signal: LogSignal) -> str | None:
    """When a log template first appeared after the split (None for other log signals)."""
    return signal.value.first_seen if isinstance(signal, LogTemplateSignal) else None


def number(value: Any) -> float:
    """A numeric field as a float; anything else (missing, text, bool) is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def metric_name(signal: MetricSignal) -> str:
    """The metric a metric signal is about."""
    return signal.value.metric


def metric_direction(signal: MetricSignal) -> str:
    """`up` or `down` for a level shift; growth, saturation and lone values count as `up`."""
    return signal.value.direction if isinstance(signal, MetricAnomalySignal) else "up"


def count_after(signal: LogSignal) -> float:
    """How many times a log signal occurred after the deploy."""
    return float(signal.value.count_after)


def commit_files(commit: CommitSignal) -> list[str]:
    """Every file a commit signal lists, across its kinds."""
    return commit.value.file_kinds.all_files()


def commit_kind_files(commit: CommitSignal, *kinds: FileKind) -> list[str]:
    """The files of a commit that fall in the given kinds (code, config, docs_tests, ...)."""
    return commit.value.file_kinds.of(*kinds)


def is_docs_only(commit: CommitSignal) -> bool:
    """A commit that only touches docs and tests cannot break production behaviour."""
    files = commit_files(commit)
    return bool(files) and len(commit_kind_files(commit, "docs_tests")) == len(files)


def is_observability_only(commit: CommitSignal) -> bool:
    """A commit whose code changes only touch logging, tracing or metrics lines."""
    return commit.value.observability_only


def is_style_only(commit: CommitSignal) -> bool:
    """A commit that only re-formats code for a linter or formatter."""
    return commit.value.style_only


def is_cosmetic(commit: CommitSignal) -> bool:
    """A code commit that changes what the code reports or how it is laid out, not what it
    does: logging/metrics lines only, or formatting only."""
    return is_observability_only(commit) or is_style_only(commit)


def is_innocuous(commit: CommitSignal) -> bool:
    """A commit that cannot change how the service behaves towards its dependencies or its
    database: docs and tests only, logging/metrics lines only, or formatting only."""
    return is_docs_only(commit) or is_cosmetic(commit)


def is_dependency_only(commit: CommitSignal) -> bool:
    """A commit that only bumps dependencies (lock files, manifests)."""
    files = commit_files(commit)
    deps = commit_kind_files(commit, "dependency", "docs_tests")
    return bool(commit_kind_files(commit, "dependency")) and len(deps) == len(files)


_LIBRARY_PATH = re.compile(
    r"site-packages|dist-packages|node_modules|(?:^|/)vendor/|/usr/(?:local/)?(?:lib|go)/|"
    r"^usr/|(?:^|/)jdk|^java/|^javax?/|^sun/|^jdk/|node:internal|<frozen|^runtime/|^net/http/",
    re.I,
)


def app_files(files: list[str]) -> list[str]:
    """The application's own files among stack-frame files (libraries and runtimes dropped)."""
    return [f for f in files if not _LIBRARY_PATH.search(f.replace("\\", "/"))]

"""Shared rule helpers for the SRE specialist agents.

`Evidence` indexes the run's signals by type and answers the cross-source questions every
agent asks ("which commit touched the files in these frames?", "which config keys changed?",
"is this template new since the deploy?"). `SpecialistAgent` is the common shape: a pure
`candidates(signals, incident)` and a `run()` that returns them, so that a later LLM mode
can refine the candidates and fall back to them.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alpha.agents.base import AgentContext, BaseAgent
from alpha.schemas import AgentResult, Hypothesis, IncidentInput, Severity, Signal
from sre.agents.patterns import (
    ERROR_KIND_SYMPTOMS,
    is_program_error,
    symptoms_in,
    symptoms_of_status,
    tokens,
)

# Confidence is built from a floor plus weighted evidence, capped below certainty: rules see
# correlations, never proof. A single weak signal lands near 0.3, converging strong evidence
# near 0.9.
CONFIDENCE_FLOOR = 0.2
CONFIDENCE_CAP = 0.95
STRONG = 0.3
MEDIUM = 0.15
WEAK = 0.08

# Trouble starting this many hours after the deploy weakens the case against its changes.
STALE_HOURS = 2.0
VERY_STALE_HOURS = 12.0

# A new template or exception, or one whose rate rose at least this much, is "new trouble".
RISE_RATIO = 3.0


def confidence(*weights: float) -> float:
    """Calibrated confidence from evidence weights (floor + sum, capped at 0.95)."""
    return round(min(CONFIDENCE_CAP, max(CONFIDENCE_FLOOR, CONFIDENCE_FLOOR + sum(weights))), 2)


def severity_for(value: float) -> Severity:
    """Severity from confidence: strong evidence of a cause is high impact to act on."""
    if value >= 0.7:
        return "high"
    return "medium" if value >= 0.4 else "low"


def short_sha(sha: str) -> str:
    """The 7-character form used in labels (suspects keep the full SHA)."""
    return sha[:7]


def is_sha(value: str) -> bool:
    """Whether a suspect is a commit SHA (7 or more hex digits)."""
    return len(value) >= 7 and all(c in "0123456789abcdef" for c in value.lower())


def as_list(value: Any) -> list[Any]:
    """A list from a possibly missing or scalar field."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def fmt_value(value: Any) -> str:
    """A config or metric value written compactly (5, 0.25, true, "x")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "unset"
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:37] + "..."
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- paths


def _parse_iso(text: object) -> datetime | None:
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


def flatten_keys(config: Any, prefix: str = "") -> list[str]:
    """Dotted keys of the leaves of a nested config mapping, in document order."""
    if not isinstance(config, dict):
        return [prefix] if prefix else []
    keys: list[str] = []
    for name, value in config.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        keys.extend(flatten_keys(value, path))
    return keys


# --------------------------------------------------------------------------- evidence index


@dataclass
class Evidence:
    """The run's signals indexed by type, with cross-source helpers."""

    incident: IncidentInput
    by_type: dict[str, list[Signal]] = field(default_factory=dict)

    @classmethod
    def build(cls, signals: Sequence[Signal], incident: IncidentInput) -> Evidence:
        """Index signals by type, keeping their order."""
        evidence = cls(incident=incident)
        for signal in signals:
            if isinstance(signal.value, dict):
                evidence.by_type.setdefault(signal.type, []).append(signal)
        return evidence

    def of(self, *types: str) -> list[Signal]:
        """Signals of the given types, in extraction order."""
        return [s for t in types for s in self.by_type.get(t, [])]

    # ----------------------------------------------------------------- logs

    def trouble(self) -> list[Signal]:
        """Log templates and exceptions that are new or rising since the deploy."""
        return [s for s in self.of("log_template", "exception") if is_trouble(s)]

    def code_errors(self) -> list[Signal]:
        """New or rising program errors (exceptions that are defects, not transport faults)."""
        found = []
        for signal in self.trouble():
            types = exception_types(signal)
            # A program-looking type whose message is a timeout or a lock wait is still a
            # transport or database fault, not a defect.
            if types and any(is_program_error(t) for t in types) and not signal_symptoms(signal):
                found.append(signal)
        return found

    def symptom_signals(self, symptom: str) -> list[Signal]:
        """Log signals (templates, exceptions, dependency errors) showing a symptom family."""
        return [
            s
            for s in self.of("log_template", "exception", "dependency_errors")
            if symptom in signal_symptoms(s) and (s.type == "dependency_errors" or is_trouble(s))
        ]

    def symptoms(self) -> set[str]:
        """Every symptom family present in new or rising log evidence."""
        found: set[str] = set()
        for signal in self.of("log_template", "exception", "dependency_errors"):
            if signal.type == "dependency_errors" or is_trouble(signal):
                found |= signal_symptoms(signal)
        if self.code_errors():
            found.add("code_error")
        return found

    def frame_files(self, signals: Iterable[Signal] | None = None) -> list[str]:
        """Stack-frame files cited by the given (default: all troubling) log signals."""
        files: dict[str, None] = {}
        for signal in self.trouble() if signals is None else signals:
            for name in as_list(signal.value.get("files")):
                files.setdefault(str(name), None)
            for frame in as_list(signal.value.get("frames")):
                if isinstance(frame, dict) and frame.get("file"):
                    files.setdefault(str(frame["file"]), None)
            for name in text_files(signal_text(signal)):
                files.setdefault(name, None)
        return list(files)

    def service_tokens(self) -> set[str]:
        """Tokens of the service name, too common in its own logs and paths to link."""
        return tokens((self.incident.service or "").replace("-", "_"))

    def hours_since_deploy(self) -> float | None:
        """Hours from the deploy to the start of the incident, when both are known.

        The start is `incident_started_at`, else the first sighting of new trouble.
        """
        deployed = self.incident.deployed_at
        if deployed is None:
            return None
        start = self.incident.incident_started_at
        if start is None:
            seen = [
                _parse_iso(s.value.get("first_seen")) for s in self.trouble() if is_error_level(s)
            ]
            known = [t for t in seen if t is not None]
            start = min(known) if known else None
        if start is None:
            return None
        if (start.tzinfo is None) != (deployed.tzinfo is None):
            start, deployed = start.replace(tzinfo=None), deployed.replace(tzinfo=None)
        return (start - deployed).total_seconds() / 3600.0

    def staleness(self) -> list[float]:
        """A negative weight for change-based hypotheses when the trouble began long after
        the deploy: what broke hours later is rarely what was shipped."""
        hours = self.hours_since_deploy()
        if hours is None or hours <= STALE_HOURS:
            return []
        return [-MEDIUM] if hours > VERY_STALE_HOURS else [-WEAK]

    # ----------------------------------------------------------------- commits and config

    def commits(self) -> list[Signal]:
        """Commit signals, in extraction order."""
        return self.of("commit")

    def config_changes(self) -> list[Signal]:
        """Config diff signals."""
        return self.of("config_change")

    def config_change_for(self, key: str) -> Signal | None:
        """The config_change signal of a dotted key, or None."""
        for signal in self.config_changes():
            if signal.value.get("key") == key:
                return signal
        return None

    def commit_for_sha(self, sha: str) -> Signal | None:
        """The commit signal whose SHA is a prefix-match of `sha`."""
        for signal in self.commits():
            own = str(signal.value.get("sha", "")).lower()
            if own and (own.startswith(sha.lower()) or sha.lower().startswith(own)):
                return signal
        return None

    def shas_for_key(self, key: str) -> list[str]:
        """Full SHAs of recent commits that changed a config key (either source says so)."""
        shas: dict[str, None] = {}
        change = self.config_change_for(key)
        if change is not None:
            for sha in as_list(change.value.get("commit_shas")):
                commit = self.commit_for_sha(str(sha))
                shas.setdefault(str(commit.value["sha"]) if commit else str(sha), None)
        for commit in self.commits():
            if key in as_list(commit.value.get("config_keys")):
                shas.setdefault(str(commit.value.get("sha")), None)
        return list(shas)

    def commits_touching_frames(self, files: Sequence[str]) -> list[tuple[Signal, list[str]]]:
        """Commits whose changed files match any of the given frame files, with the matches.

        The extractor's `files_in_stack_frames` and our own path matching are both used, and
        both are held to the frames given (usually those of the new or rising errors), so
        frames of old, unrelated errors never link a commit.
        """
        found = []
        for commit in self.commits():
            named = [str(f) for f in as_list(commit.value.get("files_in_stack_frames"))]
            candidates = dict.fromkeys(named + commit_files(commit))
            hits = [f for f in candidates if any(paths_match(f, g) for g in files)]
            if hits:
                found.append((commit, hits))
        return found

    def frame_hits(self, commit: Signal) -> list[str]:
        """Files this commit changed that appear in the frames of new or rising errors."""
        for candidate, hits in self.commits_touching_frames(self.frame_files()):
            if candidate.id == commit.id:
                return hits
        return []

    def signals_with_frames(self, files: Sequence[str]) -> list[Signal]:
        """Troubling log signals with a stack frame in one of the given files."""
        return [
            s
            for s in self.trouble()
            if any(paths_match(f, g) for f in files for g in self.frame_files([s]))
        ]


# --------------------------------------------------------------------------- signal helpers


def is_trouble(signal: Signal) -> bool:
    """Whether a log template or exception is new since the deploy or rose sharply."""
    value = signal.value
    if value.get("is_new"):
        return True
    ratio = value.get("rate_ratio")
    if isinstance(ratio, int | float) and ratio >= RISE_RATIO:
        return True
    before, after = value.get("count_before") or 0, value.get("count_after") or 0
    if isinstance(before, int | float) and isinstance(after, int | float):
        return after >= 3 and after >= RISE_RATIO * max(before, 1)
    return False


_SOURCE_FILE = re.compile(
    r"(?<![\w.])((?:[\w.@-]+/)*[\w@-]+\.(?:py|js|mjs|cjs|jsx|ts|tsx|go|java|kt|scala|rb|php|cs|"
    r"rs|cc|cpp|lua|ex|exs|swift))(?=[:\s)\"',]|$)"
)
_EXCEPTION_NAME = re.compile(
    r"\b((?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Panic|Fault))\b|\b(panic):"
)
_URL_HOST = re.compile(
    r"\b[a-z][a-z0-9+.-]*://(?:[^/@\s\"']+@)?([a-z0-9][a-z0-9.-]*[a-z0-9])", re.I
)
_ERROR_LEVELS = frozenset(
    {"ERROR", "FATAL", "CRITICAL", "SEVERE", "PANIC", "EMERG", "ALERT", "ERR"}
)


def text_files(text: str) -> list[str]:
    """Source file paths named in free text (stack lines the extractor did not parse)."""
    return list(dict.fromkeys(m.group(1).lstrip("/") for m in _SOURCE_FILE.finditer(text)))


def text_hosts(text: str) -> list[str]:
    """Host names of URLs in free text (`https://api.x.com/v3` -> api.x.com)."""
    return list(dict.fromkeys(m.group(1).lower() for m in _URL_HOST.finditer(text)))


def exception_types(signal: Signal) -> list[str]:
    """Exception type names carried by a log template or exception signal.

    Falls back to names that look like exception types in the example text, for formats
    whose nested error objects the extractor could not unpack.
    """
    value = signal.value
    found = [str(t) for t in as_list(value.get("exception_types"))]
    if value.get("exception_type"):
        found.append(str(value["exception_type"]))
    if not found and signal.type in ("log_template", "exception"):
        for match in _EXCEPTION_NAME.finditer(signal_text(signal)):
            found.append(match.group(1) or match.group(2))
    return list(dict.fromkeys(found))


def is_error_level(signal: Signal) -> bool:
    """Whether a log signal is an error (not a warning or info line)."""
    if signal.type in ("exception", "dependency_errors"):
        return True
    level = str(signal.value.get("level") or "").upper()
    if level in _ERROR_LEVELS:
        return True
    if level in ("", "UNKNOWN"):
        return bool(exception_types(signal)) or bool(
            re.search(r"\b(?:error|failed|failure|exception|fatal)\b", signal_text(signal), re.I)
        )
    return False


def signal_text(signal: Signal) -> str:
    """The searchable text of a log signal: template, message, example, exception types."""
    value = signal.value
    parts = [str(value.get(k) or "") for k in ("template", "message", "example", "exception_type")]
    parts.extend(str(t) for t in as_list(value.get("exception_types")))
    return " ".join(p for p in parts if p)


def signal_symptoms(signal: Signal) -> set[str]:
    """Symptom families of a log signal, from its text, status codes and error kinds."""
    found = symptoms_in(signal_text(signal))
    codes = [c for c in as_list(signal.value.get("status_codes")) if isinstance(c, int)]
    found |= symptoms_of_status(codes)
    for kind in as_list(signal.value.get("error_kinds")):
        mapped = ERROR_KIND_SYMPTOMS.get(str(kind))
        if mapped:
            found.add(mapped)
    return found


def count_after(signal: Signal) -> float:
    """How many times a log signal occurred after the deploy (0 when unknown)."""
    value = signal.value.get("count_after")
    return float(value) if isinstance(value, int | float) else 0.0


def commit_files(commit: Signal) -> list[str]:
    """Every file a commit signal lists, across its kinds."""
    kinds = commit.value.get("file_kinds") or {}
    files: dict[str, None] = {}
    if isinstance(kinds, dict):
        for names in kinds.values():
            for name in as_list(names):
                files.setdefault(str(name), None)
    return list(files)


def commit_kind_files(commit: Signal, *kinds: str) -> list[str]:
    """The files of a commit that fall in the given kinds (code, config, docs_tests, ...)."""
    table = commit.value.get("file_kinds") or {}
    if not isinstance(table, dict):
        return []
    return [str(f) for k in kinds for f in as_list(table.get(k))]


def is_docs_only(commit: Signal) -> bool:
    """A commit that only touches docs and tests cannot break production behaviour."""
    files = commit_files(commit)
    return bool(files) and len(commit_kind_files(commit, "docs_tests")) == len(files)


def is_dependency_only(commit: Signal) -> bool:
    """A commit that only bumps dependencies (lock files, manifests)."""
    files = commit_files(commit)
    deps = commit_kind_files(commit, "dependency", "docs_tests")
    return bool(commit_kind_files(commit, "dependency")) and len(deps) == len(files)


def cites(*groups: Iterable[Signal]) -> list[str]:
    """Signal ids of the given signals, deduplicated, in order."""
    return list(dict.fromkeys(s.id for group in groups for s in group))


def merge_candidates(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Drop duplicate candidates of one agent (same category and suspects), keeping the best.

    An agent's rules may reach the same cause twice by different routes; the aggregator's
    agreement bonus is for distinct agents, so one agent must state each cause once.
    """
    best: dict[tuple[str, tuple[str, ...]], Hypothesis] = {}
    for hyp in hypotheses:
        key = (hyp.category, tuple(sorted(s.lower() for s in hyp.suspects)))
        kept = best.get(key)
        if kept is None:
            best[key] = hyp
        elif hyp.confidence > kept.confidence:
            signals = list(dict.fromkeys(hyp.supporting_signals + kept.supporting_signals))
            best[key] = hyp.model_copy(update={"supporting_signals": signals})
        else:
            signals = list(dict.fromkeys(kept.supporting_signals + hyp.supporting_signals))
            best[key] = kept.model_copy(update={"supporting_signals": signals})
    ordered = sorted(best.values(), key=lambda h: (-h.confidence, h.label))
    return ordered


def hypothesis(
    *,
    label: str,
    description: str,
    category: str,
    suspects: Sequence[str],
    weights: Sequence[float],
    signals: Sequence[str],
) -> Hypothesis:
    """A hypothesis with calibrated confidence and severity from evidence weights."""
    value = confidence(*weights)
    return Hypothesis(
        label=label,
        description=description,
        confidence=value,
        severity=severity_for(value),
        supporting_signals=list(dict.fromkeys(signals)),
        category=category,
        suspects=list(dict.fromkeys(s for s in suspects if s)),
    )


# --------------------------------------------------------------------------- agent shape


class SpecialistAgent(BaseAgent):
    """A rule-based specialist: `run()` returns the pure `candidates()`.

    Attributes:
        model: The OpenRouter model id this agent will use once the LLM mode lands; unused
            by the deterministic rules.
    """

    max_hypotheses: int = 4

    @abstractmethod
    def candidates(self, signals: Sequence[Signal], incident: IncidentInput) -> list[Hypothesis]:
        """Deterministic hypotheses from the signals (pure: no clock, no I/O)."""

    async def run(self, context: AgentContext) -> AgentResult:
        """Apply the rules to the context's signals and return the candidates."""
        found = self.candidates(context.signals, context.incident)[: self.max_hypotheses]
        context.progress(f"{len(found)} hypothesis(es) from rules")
        used = list(dict.fromkeys(s for h in found for s in h.supporting_signals))
        return AgentResult(agent_name=self.name, hypotheses=found, signals_used=used)

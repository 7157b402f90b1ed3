"""Shared rule helpers for the SRE specialist agents.

`Evidence` indexes the run's typed signals (`sre.signals`) by type and answers the
cross-source questions every agent asks ("which commit touched the files in these frames?",
"which config keys changed?", "is this template new since the deploy?"). It is built once
per run (the engine hands it to the runtime as its signal index, so every agent shares it
and its memo); `Evidence.build` builds one directly.
`SpecialistAgent` is the common shape: pure rules over the evidence
(`candidates_from(evidence)`, or `candidates(signals, incident)` from bare signals) and a
`run()` that returns them, so that the LLM mode can refine the candidates and fall back to
them.
"""

from __future__ import annotations

import re
import sys
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from alpha.agents.base import AgentContext, BaseAgent
from alpha.llm.base import LLMClient
from alpha.schemas import AgentResult, Hypothesis, IncidentInput, Severity, Signal
from sre.agents.patterns import DATA_ACCESS_WORDS, is_program_error, tokens
from sre.agents.reading import (
    app_files,
    commit_files,
    commit_kind_files,
    exception_types,
    first_seen,
    frame_files_of,
    is_error_level,
    is_innocuous,
    is_sha,
    is_trouble,
    module_tokens,
    parse_iso,
    path_tokens,
    paths_match,
    signal_files,
    signal_symptoms,
    signal_text,
    text_files,
)
from sre.signals import (
    CommitSignal,
    ConfigChangeSignal,
    DependencyErrorsSignal,
    ExceptionSignal,
    LogSignal,
    LogTemplateSignal,
    LogVolumeSignal,
    TroubleSignal,
    typed_signals,
)

if TYPE_CHECKING:
    from sre.llm.mode import LLMSession, LLMSessions

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


def confidence(*weights: float) -> float:
    """Calibrated confidence from evidence weights (floor + sum, capped at 0.95)."""
    return round(min(CONFIDENCE_CAP, max(CONFIDENCE_FLOOR, CONFIDENCE_FLOOR + sum(weights))), 2)


def severity_for(value: float) -> Severity:
    """Severity from confidence: strong evidence of a cause is high impact to act on."""
    if value >= 0.7:
        return "high"
    return "medium" if value >= 0.4 else "low"


_A = TypeVar("_A", bound=Signal)
_B = TypeVar("_B", bound=Signal)
_C = TypeVar("_C", bound=Signal)
_D = TypeVar("_D", bound=Signal)


@dataclass
class Evidence:
    """The run's typed signals indexed by type, with cross-source helpers.

    Attributes:
        incident: The incident the signals came from.
        by_type: The typed signals by class, each list in extraction order.
        memo: Answers that many rules ask for, computed once per run (the signals never
            change, so agents sharing one `Evidence` share them).
    """

    incident: IncidentInput
    by_type: dict[type[Signal], list[Signal]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, signals: Sequence[Signal], incident: IncidentInput) -> Evidence:
        """Index the SRE signals by type, keeping their order (`sre.signals.typed_signals`:
        generic signals of an SRE type are validated into their class, others skipped)."""
        evidence = cls(incident=incident)
        for signal in typed_signals(signals):
            evidence.by_type.setdefault(type(signal), []).append(signal)
        return evidence

    @overload
    def of(self, a: type[_A], /) -> list[_A]: ...
    @overload
    def of(self, a: type[_A], b: type[_B], /) -> list[_A | _B]: ...
    @overload
    def of(self, a: type[_A], b: type[_B], c: type[_C], /) -> list[_A | _B | _C]: ...
    @overload
    def of(
        self, a: type[_A], b: type[_B], c: type[_C], d: type[_D], /
    ) -> list[_A | _B | _C | _D]: ...
    def of(self, *types: type[Signal]) -> list[Any]:
        """Signals of the given classes, class by class, each in extraction order."""
        return [s for t in types for s in self.by_type.get(t, [])]

    def since(self) -> str:
        """How descriptions name the incident window: "after the deploy", "after the
        incident start", "after the change at <time>", or "in the incident window" when the
        evidence has no split (nothing is said of a deploy that did not happen)."""
        volumes = self.of(LogVolumeSignal)
        split_by = volumes[0].value.split_by if volumes else None
        if split_by == "deployed_at":
            return "after the deploy"
        if split_by == "incident_started_at":
            return "after the incident start"
        if split_by == "change_point" and volumes[0].value.split_at:
            return f"after the change at {volumes[0].value.split_at}"
        if split_by is None and self.incident.deployed_at is not None:
            return "after the deploy"
        return "in the incident window"

    def log_signals(self) -> list[LogSignal]:
        """Log templates, exceptions and failing hosts, in that order."""
        return self.of(LogTemplateSignal, ExceptionSignal, DependencyErrorsSignal)

    # ----------------------------------------------------------------- logs

    def trouble(self) -> list[TroubleSignal]:
        """Log templates and exceptions that are new or rising since the deploy."""
        if "trouble" not in self.memo:
            logs = self.of(LogTemplateSignal, ExceptionSignal)
            self.memo["trouble"] = [s for s in logs if is_trouble(s)]
        trouble: list[TroubleSignal] = self.memo["trouble"]
        return list(trouble)

    def code_errors(self) -> list[TroubleSignal]:
        """New or rising program errors (exceptions that are defects, not transport faults)."""
        if "code_errors" not in self.memo:
            faults = self.fault_types()
            found = []
            for signal in self.trouble():
                types = exception_types(signal)
                # A program-looking type whose message is a timeout or a lock wait is still a
                # transport or database fault, not a defect; so is a log line that only carries
                # such a type without its message.
                program = [t for t in types if is_program_error(t) and t not in faults]
                if program and not signal_symptoms(signal):
                    found.append(signal)
            self.memo["code_errors"] = found
        errors: list[TroubleSignal] = self.memo["code_errors"]
        return list(errors)

    def fault_types(self) -> set[str]:
        """Exception types whose own new or rising messages show a fault outside the code.

        `MsalServiceException: ... client secret keys are expired` is a credential fault
        whatever its name says; an error line that only names the type is the same fault.
        """
        if "fault_types" not in self.memo:
            self.memo["fault_types"] = {
                s.value.exception_type
                for s in self.of(ExceptionSignal)
                if s.value.exception_type and is_trouble(s) and signal_symptoms(s)
            }
        faults: set[str] = self.memo["fault_types"]
        return faults

    def symptom_signals(self, symptom: str) -> list[LogSignal]:
        """Log signals (templates, exceptions, dependency errors) showing a symptom family."""
        return [
            s
            for s in self.log_signals()
            if symptom in signal_symptoms(s)
            and (isinstance(s, DependencyErrorsSignal) or is_trouble(s))
        ]

    def symptoms(self) -> set[str]:
        """Every symptom family present in new or rising log evidence."""
        found: set[str] = set()
        for signal in self.log_signals():
            if isinstance(signal, DependencyErrorsSignal) or is_trouble(signal):
                found |= signal_symptoms(signal)
        if self.code_errors():
            found.add("code_error")
        return found

    def frame_files(self, signals: Iterable[LogSignal] | None = None) -> list[str]:
        """Stack-frame files cited by the given (default: all troubling) log signals."""
        files: dict[str, None] = {}
        for signal in self.trouble() if signals is None else signals:
            for name in signal_files(signal):
                files.setdefault(name, None)
            for name in frame_files_of(signal):
                files.setdefault(name, None)
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
            seen = [parse_iso(first_seen(s)) for s in self.trouble() if is_error_level(s)]
            known = [t for t in seen if t is not None]
            start = min(known) if known else None
        if start is None:
            return None
        if (start.tzinfo is None) != (deployed.tzinfo is None):
            start, deployed = start.replace(tzinfo=None), deployed.replace(tzinfo=None)
        return (start - deployed).total_seconds() / 3600.0

    def is_very_stale(self) -> bool:
        """Whether the trouble began more than VERY_STALE_HOURS after the deploy."""
        hours = self.hours_since_deploy()
        return hours is not None and hours > VERY_STALE_HOURS

    def is_stale(self) -> bool:
        """Whether the trouble began more than STALE_HOURS after the deploy."""
        hours = self.hours_since_deploy()
        return hours is not None and hours > STALE_HOURS

    def staleness(self) -> list[float]:
        """A negative weight for change-based hypotheses when the trouble began long after
        the deploy: what broke hours later is rarely what was shipped."""
        hours = self.hours_since_deploy()
        if hours is None or hours <= STALE_HOURS:
            return []
        return [-MEDIUM] if hours > VERY_STALE_HOURS else [-WEAK]

    # ----------------------------------------------------------------- commits and config

    def commits(self) -> list[CommitSignal]:
        """Commit signals, in extraction order."""
        return self.of(CommitSignal)

    def config_changes(self) -> list[ConfigChangeSignal]:
        """Config diff signals."""
        return self.of(ConfigChangeSignal)

    def config_change_for(self, key: str) -> ConfigChangeSignal | None:
        """The config_change signal of a dotted key, or None."""
        for signal in self.config_changes():
            if signal.value.key == key:
                return signal
        return None

    def commit_for_sha(self, sha: str) -> CommitSignal | None:
        """The commit signal whose SHA is a prefix-match of `sha`."""
        for signal in self.commits():
            own = signal.value.sha.lower()
            if own and (own.startswith(sha.lower()) or sha.lower().startswith(own)):
                return signal
        return None

    def shas_for_key(self, key: str) -> list[str]:
        """Full SHAs of recent commits that changed a config key (either source says so)."""
        shas: dict[str, None] = {}
        change = self.config_change_for(key)
        # A GitOps revision (`argocd/inventory.revision: <sha>`) names the commit it rolled
        # out: that commit changed what the key configures.
        if change is not None and _is_revision(change.value.new):
            shas.setdefault(str(change.value.new), None)
        if change is not None:
            for sha in change.value.commit_shas:
                commit = self.commit_for_sha(sha)
                shas.setdefault(commit.value.sha if commit else sha, None)
        for commit in self.commits():
            if key in commit.value.config_keys:
                shas.setdefault(commit.value.sha, None)
        if not shas:
            # Without patches nothing says which commit set the key; when only one or two
            # commits of the deploy touched config files, they are the candidates.
            config = [c for c in self.commits() if commit_kind_files(c, "config")]
            if 0 < len(config) <= 2:
                shas.update((c.value.sha, None) for c in config)
        return list(shas)

    def commits_touching_frames(self, files: Sequence[str]) -> list[tuple[CommitSignal, list[str]]]:
        """Commits whose changed files match any of the given frame files, with the matches.

        The extractor's `files_in_stack_frames` and our own path matching are both used, and
        both are held to the frames given (usually those of the new or rising errors), so
        frames of old, unrelated errors never link a commit.
        """
        found = []
        for commit in self.commits():
            named = list(commit.value.files_in_stack_frames)
            candidates = dict.fromkeys(named + commit_files(commit))
            hits = [f for f in candidates if any(paths_match(f, g) for g in files)]
            if hits:
                found.append((commit, hits))
        return found

    def frame_hits(self, commit: CommitSignal) -> list[str]:
        """Files this commit changed that appear in the frames of new or rising errors."""
        for candidate, hits in self.commits_touching_frames(self.frame_files()):
            if candidate.id == commit.id:
                return hits
        return []

    def module_overlap(self, code: list[str]) -> list[TroubleSignal]:
        """New or rising errors that name a module the commit changed.

        A changed file's stem (`serializers`, `TemplateService`) may be named by the error text
        or a frame; its directory only by a frame's directory, since package names also appear
        in pod names and loggers.
        """
        skip = self.service_tokens()
        stems: set[str] = set()
        dirs: set[str] = set()
        for name in code:
            stem, parent = module_tokens(name, skip)
            stems |= stem
            dirs |= parent
        found = []
        for signal in self.trouble():
            if not is_error_level(signal):
                continue
            words = tokens(signal_text(signal).replace(".", "_").replace("/", "_"))
            frame_dirs: set[str] = set()
            for name in self.frame_files([signal]):
                stem, parent = module_tokens(name, skip)
                words |= stem
                frame_dirs |= parent
            if stems & words or dirs & frame_dirs:
                found.append(signal)
        return found

    def data_access_commits(self) -> list[CommitSignal]:
        """Commits that changed data-access code (models, queries, serializers, ...).

        When some of them appear in the frames of the new errors, only those: the others
        changed data access too, but not on the failing path.
        """
        found = self._data_access_changes()
        framed = [c for c in found if self.frame_hits(c)]
        return framed or found

    def data_access_changed(self) -> bool:
        """Whether a recent commit changed data-access code in time to explain database trouble.

        Logging-only changes do not count, and neither does any change when the trouble began
        more than VERY_STALE_HOURS after the deploy: a query regression bites with the first
        real traffic, not days later, and the change-based hypotheses carry their own
        staleness penalty.
        """
        return not self.is_very_stale() and bool(self._data_access_changes())

    def _data_access_changes(self) -> list[CommitSignal]:
        """Behavioural commits whose code or migration paths say they talk to the database."""
        return [
            c
            for c in self.commits()
            if not is_innocuous(c)
            and any(
                path_tokens(f) & DATA_ACCESS_WORDS
                for f in commit_kind_files(c, "code", "migration")
            )
        ]

    def raise_site(self, signal: LogSignal) -> str | None:
        """The application file an error was raised in (its top application frame), or None
        when the signal carries no frames."""
        names = frame_files_of(signal) or signal_files(signal)
        own = app_files(names)
        return own[0] if own else None

    def raised_elsewhere(self, signals: Sequence[LogSignal], files: Sequence[str]) -> bool:
        """Whether every one of these errors with known frames was raised outside `files`.

        A commit that changed only a caller deeper in the stack (the route that calls the
        failing module) is weaker evidence than one that changed the raising file.
        """
        sites = [site for s in signals if (site := self.raise_site(s)) is not None]
        return bool(sites) and not any(paths_match(site, f) for site in sites for f in files)

    def signals_with_frames(self, files: Sequence[str]) -> list[TroubleSignal]:
        """Troubling log signals with a stack frame in one of the given files."""
        return [
            s
            for s in self.trouble()
            if any(paths_match(f, g) for f in files for g in self.frame_files([s]))
        ]


def evidence_of(context: AgentContext) -> Evidence:
    """The run's shared evidence (the runtime's signal index), else one built for `context`."""
    index = context.signal_index
    if isinstance(index, Evidence) and index.incident is context.incident:
        return index
    return Evidence.build(context.signals, context.incident)


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
            continue
        # The stronger one is kept, citing the other's signals after its own.
        winner, other = (hyp, kept) if hyp.confidence > kept.confidence else (kept, hyp)
        signals = list(dict.fromkeys(winner.supporting_signals + other.supporting_signals))
        best[key] = winner.model_copy(update={"supporting_signals": signals})
    return sorted(best.values(), key=lambda h: (-h.confidence, h.label))


def hypothesis(
    *,
    label: str,
    description: str,
    category: str,
    suspects: Sequence[str],
    weights: Sequence[float],
    signals: Sequence[str],
    rule: str | None = None,
) -> Hypothesis:
    """A hypothesis with calibrated confidence and severity from evidence weights.

    Args:
        rule: The rule that produced it (`--explain` shows it); by default the calling
            function, as `<module>.<function>` (`log_agent._dependency_failures`).
    """
    value = confidence(*weights)
    return Hypothesis(
        label=label,
        description=description,
        confidence=value,
        severity=severity_for(value),
        supporting_signals=list(dict.fromkeys(signals)),
        category=category,
        suspects=list(dict.fromkeys(s for s in suspects if s.strip() and not nobody(s))),
        rules=[rule or _caller_rule()],
    )


def _is_revision(value: object) -> bool:
    """A commit SHA as a config value: 7-40 hex digits with letters and digits both (a
    number of seven digits is not one)."""
    if not isinstance(value, str) or len(value) > 40 or not is_sha(value):
        return False
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


# A wildcard or loopback address (`0.0.0.0:443`, `127.0.0.1`, `[::]:8080`, `localhost:5432`)
# is where a process listens or talks to itself: no one a responder could act on.
_NOBODY = re.compile(r"^(?:0\.0\.0\.0|127\.0\.0\.1|\[?::1?\]?|localhost)(?::\d+)?$", re.I)


def nobody(suspect: str) -> bool:
    """Whether a suspect is a wildcard or loopback address (never one to act on)."""
    return _NOBODY.match(suspect.strip()) is not None


def _caller_rule() -> str:
    """`<module>.<function>` of the rule that called `hypothesis` (two frames up)."""
    frame = sys._getframe(2)
    module = frame.f_globals.get("__name__", "?").rsplit(".", 1)[-1]
    return f"{module}.{frame.f_code.co_name}"


@dataclass(frozen=True)
class AgentBrief:
    """What an agent specialises in, for its system prompt and the evidence order.

    Attributes:
        role: A few words ("application logs and stack traces").
        sources: Signal sources it reads first ("logs", "metrics", "commits", "config").
    """

    role: str
    sources: tuple[str, ...]


class SpecialistAgent(BaseAgent):
    """A rule-based specialist: `run()` returns the pure `candidates()`, or, in LLM mode,
    asks its model to refine them (`sre.llm.refine`) and falls back to them on failure.

    Args:
        llm: An LLM client to refine with (the original design's form,
            `LogAgent(llm=OpenRouterClient("anthropic/claude-sonnet-4-6"))`); the agent then
            gets an LLM session of its own with the default limits.
        session: Where the agent finds the LLM session of each investigation
            (`LLMSessions`, or one fixed `LLMSession`), as the engine passes it so that the
            agents of one investigation share a token cap and a redactor. Wins over `llm`.
        With neither (the default), the agent is deterministic and offline.

    Attributes:
        model: The model id this agent uses in LLM mode unless configuration overrides it.
        brief: Its speciality, for its prompt.
    """

    max_hypotheses: int = 4
    brief: AgentBrief = AgentBrief("production incidents", ())

    def __init__(
        self,
        llm: LLMClient | None = None,
        *,
        session: LLMSessions | LLMSession | None = None,
    ) -> None:
        super().__init__(llm)
        if session is None and llm is not None:
            from sre.llm.mode import LLMMode, LLMSessions

            session = LLMSessions(LLMMode.for_client(llm))
        self.session = session

    def candidates(self, signals: Sequence[Signal], incident: IncidentInput) -> list[Hypothesis]:
        """Deterministic hypotheses from bare signals (pure: no clock, no I/O)."""
        return self.candidates_from(Evidence.build(signals, incident))

    @abstractmethod
    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """Deterministic hypotheses from the run's evidence (pure: no clock, no I/O)."""

    async def run(self, context: AgentContext) -> AgentResult:
        """Apply the rules to the run's evidence; refine them with the LLM when given."""
        found = self.candidates_from(evidence_of(context))[: self.max_hypotheses]
        fired = len({rule for hypothesis in found for rule in hypothesis.rules})
        context.progress(
            f"{len(found)} {'hypothesis' if len(found) == 1 else 'hypotheses'} from "
            f"{fired} {'rule' if fired == 1 else 'rules'} fired"
        )
        if self.session is not None:
            from sre.llm.refine import refine

            return await refine(self, context, found, self.session.for_incident(context.incident))
        used = list(dict.fromkeys(s for h in found for s in h.supporting_signals))
        return AgentResult(agent_name=self.name, hypotheses=found, signals_used=used)

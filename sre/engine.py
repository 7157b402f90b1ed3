"""The SRE investigation engine: the runtime wired with the SRE extractor and agents.

`build_runtime()` gives an `AlphaRuntime` whose signal extractor is the SRE pipeline (its
evidence index, `sre.agents.base.Evidence`, built once per run and shared by the agents), with
the specialists of the roster (`sre.agents.roster`) registered, the SynthesisAgent as
post-aggregation step, and the SRE taxonomy injected into the judge (valid categories) and
the aggregator (how suspects match); `investigate()` runs one incident through it.

LLM mode (`llm=`): the agents of one investigation share one `LLMSession` (token cap,
redactor); a runtime reused for many investigations, even concurrently, gives each its own
(`sre.llm.mode.LLMSessions`). The LLM deadline is kept `DEADLINE_MARGIN` below the agent
timeout, so an agent whose model is slow falls back to its rules instead of being cut off
with nothing.
The synthesis step stays deterministic.

Progress: the log lines are read through `ProgressLines`, so a long parse reports how far
it got (`run_progress` events) and a cancelled run (Ctrl-C) stops it within a fraction of a
second (`alpha.core.progress`).

Redaction (`sre.redaction.boundary`): unless `reveal` is set, the signals are redacted right
after extraction with the investigation's redactor (one per incident, `IncidentRedactors`),
so every agent, prompt, event and report is built from text whose secrets are already
hidden, before any clipping. The LLM sessions share that redactor; with `reveal` they keep
their own, and prompts are still redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from alpha.aggregation.aggregator import Aggregator
from alpha.core.progress import StepProgress, current_progress
from alpha.core.runtime import AlphaRuntime, EventSubscriber
from alpha.judge.judge import JudgeLayer
from alpha.schemas import ExecutionResult, IncidentInput, Signal
from sre.agents.roster import SPECIALISTS
from sre.agents.synthesis_agent import SynthesisAgent
from sre.redaction import Redactor
from sre.redaction.boundary import IncidentRedactors, redact_signals
from sre.taxonomy import VALID_CATEGORIES, suspects_match

if TYPE_CHECKING:
    from sre.llm.mode import LLMMode


def sre_judge() -> JudgeLayer:
    """The judge with the SRE taxonomy's categories."""
    return JudgeLayer(valid_categories=VALID_CATEGORIES)


def sre_aggregator() -> Aggregator:
    """The aggregator with the taxonomy's suspect matching (SHA prefixes, contained names)."""
    return Aggregator(suspects_match=suspects_match)


def build_runtime(
    *,
    agent_timeout: float = 30.0,
    llm: LLMMode | None = None,
    redactors: IncidentRedactors | None = None,
    reveal: bool = False,
) -> AlphaRuntime:
    """A runtime with the SRE extractor, the roster's specialists and the SynthesisAgent.

    Args:
        agent_timeout: Default seconds each agent (and the synthesis step) may take.
        llm: The LLM mode; None keeps every agent deterministic and offline.
        redactors: Where each investigation's redactor is found (a new registry when None);
            give one to redact the outputs with the same redactor afterwards.
        reveal: Keep the signals raw (a local user's `--reveal`); prompts stay redacted.
    """
    # Imported here so that importing the engine stays cheap for the CLI's --help.
    from sre.agents.base import Evidence
    from sre.extractors.signal_extractor import extract_signals

    extractor: Callable[[IncidentInput], list[Signal]] = _with_progress(extract_signals)
    if reveal:
        redactors = None
    else:
        redactors = redactors if redactors is not None else IncidentRedactors()
        extractor = _redacting_extractor(extractor, redactors)

    sessions = None
    if llm is not None:
        from sre.llm.mode import DEADLINE_MARGIN, LLMSessions

        room = max(agent_timeout - DEADLINE_MARGIN, agent_timeout / 2)
        sessions = LLMSessions(llm, deadline=min(llm.deadline, room), redactors=redactors)

    runtime = AlphaRuntime(
        agent_timeout=agent_timeout,
        signal_extractor=extractor,
        signal_index=Evidence.build,
        post_aggregation=SynthesisAgent(),
        judge=sre_judge(),
        aggregator=sre_aggregator(),
    )
    for specialist in SPECIALISTS:
        runtime.register(specialist(session=sessions))
    return runtime


class ProgressLines(list[str]):
    """The payload's log lines, reporting how many were read as the extractor iterates.

    Every `REPORT_EVERY` lines the count goes to the run's progress (`run_progress` events:
    "parsing logs: 120,000 of 1,000,000 lines") and a cancelled run stops the parse there.
    Each pass over the lines counts from the start again.
    """

    REPORT_EVERY = 16_384

    def __init__(self, lines: list[str], progress: StepProgress) -> None:
        super().__init__(lines)
        self._progress = progress

    def __iter__(self) -> Iterator[str]:
        # The lines come from C (`chain` over slices of `REPORT_EVERY` lines), not through a
        # generator step per line: that cost 0.08 s on a million lines. The count is reported
        # when the line after each slice is asked for, as a per-line count would.
        return chain.from_iterable(self._slices())

    def _slices(self) -> Iterator[list[str]]:
        total = len(self)
        every = self.REPORT_EVERY
        for start in range(0, total, every):
            end = start + every
            yield self[start:end]
            if end <= total:
                self._progress.report(f"parsing logs: {end:,} of {total:,} lines")
        self._progress.report(f"parsed {total:,} log lines")


def _with_progress(
    extract: Callable[[IncidentInput], list[Signal]],
) -> Callable[[IncidentInput], list[Signal]]:
    """`extract`, reading the logs through `ProgressLines` when the runtime gave a progress
    (it does for every run: see `alpha.core.progress`)."""

    def extract_reporting(incident: IncidentInput) -> list[Signal]:
        progress = current_progress()
        if progress is None or not incident.logs:
            return extract(incident)
        counted = incident.model_copy(update={"logs": ProgressLines(incident.logs, progress)})
        signals = extract(counted)
        progress.report(f"extracted {len(signals):,} signals")
        return signals

    return extract_reporting


def _redacting_extractor(
    extract: Callable[[IncidentInput], list[Signal]], redactors: IncidentRedactors
) -> Callable[[IncidentInput], list[Signal]]:
    """`extract`, then every signal redacted with the investigation's redactor."""

    def extract_redacted(incident: IncidentInput) -> list[Signal]:
        return redact_signals(extract(incident), redactors.for_incident(incident))

    return extract_redacted


async def investigate(
    incident: IncidentInput,
    *,
    subscribers: Sequence[EventSubscriber] = (),
    gaps: Sequence[str] = (),
    execution_id: str | None = None,
    llm: LLMMode | None = None,
    agent_timeout: float = 30.0,
    redactor: Redactor | None = None,
    reveal: bool = False,
) -> ExecutionResult:
    """Investigate one incident with a fresh runtime.

    Args:
        incident: The validated incident payload.
        subscribers: Event subscribers for this run (display, Slack progress).
        gaps: Sources that were unavailable, passed through to the result.
        execution_id: An id for the run; generated when None.
        llm: The process's LLM mode; None for the deterministic, offline analysis.
        agent_timeout: Seconds each agent may take.
        redactor: The investigation's redactor, to redact the outputs with it afterwards
            (a fresh one when None).
        reveal: Keep the signals raw (`--reveal`); LLM prompts are redacted all the same.
    """
    redactors = IncidentRedactors()
    if redactor is not None:
        redactors.register(incident, redactor)
    runtime = build_runtime(
        agent_timeout=agent_timeout, llm=llm, redactors=redactors, reveal=reveal
    )
    return await runtime.execute(
        incident, subscribers=subscribers, gaps=gaps, execution_id=execution_id
    )

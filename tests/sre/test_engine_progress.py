"""The engine's extraction progress: lines parsed, then signals extracted, as run events."""

from __future__ import annotations

import pytest

from alpha.core.progress import StepCancelled, StepProgress
from alpha.schemas import AgentEvent, EventKind
from sre.engine import ProgressLines, investigate
from sre.scenarios import incident_b


async def test_a_long_log_reports_lines_parsed_then_signals_extracted() -> None:
    """Every `REPORT_EVERY` lines a count, then the total and the number of signals; the
    analysis is the same as without progress (the lines are the payload's)."""
    scenario = incident_b.scenario()
    logs = scenario.incident.logs * 100
    incident = scenario.incident.model_copy(update={"logs": logs})
    seen: list[AgentEvent] = []
    result = await investigate(incident, subscribers=[seen.append])
    progress = [e.message for e in seen if e.kind is EventKind.RUN_PROGRESS]
    every = ProgressLines.REPORT_EVERY
    counted = [
        f"parsing logs: {n:,} of {len(logs):,} lines" for n in range(every, len(logs), every)
    ]
    assert progress == [
        *counted,
        f"parsed {len(logs):,} log lines",
        f"extracted {len(result.signals_used):,} signals",
    ]
    plain = await investigate(scenario.incident)
    assert result.ranked_hypotheses[0].label == plain.ranked_hypotheses[0].label


def test_progress_counts_each_full_slice_then_the_total_and_stops_when_cancelled() -> None:
    """Reading the lines reports each multiple of `REPORT_EVERY` reached (the last one too,
    when the count is a multiple), then the total; a cancelled step stops at its next report."""
    every = ProgressLines.REPORT_EVERY
    lines = [f"line {i}" for i in range(2 * every)]
    messages: list[str] = []
    assert list(ProgressLines(lines, StepProgress(messages.append))) == lines
    total = f"{2 * every:,}"
    assert messages == [
        f"parsing logs: {every:,} of {total} lines",
        f"parsing logs: {2 * every:,} of {total} lines",
        f"parsed {total} log lines",
    ]
    progress = StepProgress(messages.append)
    read = []
    with pytest.raises(StepCancelled):
        for line in ProgressLines(lines, progress):
            read.append(line)
            progress.cancel()
    assert read == lines[:every]

"""Corrections become regression tests: judged runs exported as scenario files.

Every run whose latest verdict names the real cause (see `calibration.real_cause`) and
whose payload was stored becomes one scenario file (`shared/spec/scenario-format.md`):
the stored, redacted payload as `incident`, the real cause as `expected`. `alpha eval DIR`
then scores today's engine on it, so a wrong answer that was corrected once is checked on
every change from then on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from sre.history.calibration import real_cause
from sre.history.records import StoredPayload, StoredRun
from sre.payload import Scenario

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 100


class Skipped(BaseModel):
    """A judged run that did not become a case, and why."""

    model_config = ConfigDict(extra="forbid")

    execution_id: str
    reason: str


class ExportReport(BaseModel):
    """The `alpha export-cases --json` document."""

    model_config = ConfigDict(extra="forbid")

    written: list[str]
    skipped: list[Skipped]


def case_name(run: StoredRun) -> str:
    """A file-name safe, unique name: the deployment id and the execution id."""
    deployment = _UNSAFE.sub("-", run.summary.deployment_id).strip("-._") or "run"
    suffix = f"-{run.summary.execution_id}"
    return deployment[: _MAX_NAME - len(suffix)] + suffix


def to_scenario(run: StoredRun, payload: StoredPayload) -> Scenario | None:
    """The scenario of a judged run, None when its verdict names no real cause."""
    feedback = run.latest_feedback
    if feedback is None:
        return None
    expected = real_cause(run, feedback)
    if expected is None:
        return None
    summary = run.summary
    parts = [
        f"Recorded run {summary.execution_id} of {summary.deployment_id}",
        f"on {summary.started_at:%Y-%m-%d %H:%M} UTC",
        f"marked {feedback.verdict} (hypothesis #{feedback.rank})",
    ]
    if feedback.user:
        parts.append(f"by {feedback.user}")
    description = " ".join(parts) + "."
    if feedback.note:
        description += f" {feedback.note}"
    if payload.cuts.cut:
        description += f" Stored payload: {payload.cuts.describe()}."
    return Scenario(
        name=case_name(run),
        description=description,
        incident=payload.incident,
        expected=expected,
    )


def write_scenario(scenario: Scenario, folder: Path) -> Path:
    """Write one scenario as `<folder>/<name>.json` (replacing an earlier export)."""
    path = folder / f"{scenario.name}.json"
    document = scenario.model_dump(mode="json", exclude_none=True)
    document["expected"] = scenario.expected.model_dump(mode="json", exclude_defaults=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

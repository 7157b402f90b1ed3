"""`IncidentInput`: the incident payload (contract version 1), and its parts.

Every model here forbids unknown keys, so that a typo in a payload fails loudly, naming the
key, instead of being ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "MAX_LOG_LINE_CHARS",
    "Commit",
    "CommitFile",
    "IncidentInput",
    "MetricPoints",
    "MetricValue",
    "MetricWindows",
]

# Characters of one log line that are kept; the rest is cut as the payload is read, so that
# every consumer (extractors, prompts, redaction, display) scans bounded lines whatever was
# sent (a 200 MB line). Far above a real line: a JSON line carrying a 200-frame Java stack is
# about 25,000 characters.
MAX_LOG_LINE_CHARS = 32_768


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommitFile(_Input):
    """One file touched by a commit (the object form of `recent_commits[].files[]`)."""

    filename: str = Field(min_length=1)
    status: str | None = None
    additions: int | None = Field(default=None, ge=0)
    deletions: int | None = Field(default=None, ge=0)
    patch: str | None = None


class Commit(_Input):
    """A recent commit, as in `shared/spec/incident-payload.md`."""

    sha: str = Field(pattern=r"^[0-9a-fA-F]{7,64}$")
    message: str
    author: str | None = None
    timestamp: datetime | None = None
    files: list[CommitFile | str] = Field(default_factory=list)

    def file_objects(self) -> list[CommitFile]:
        """The files as objects, bare filenames promoted to `CommitFile`."""
        return [f if isinstance(f, CommitFile) else CommitFile(filename=f) for f in self.files]


class MetricWindows(_Input):
    """Explicit windows before and after the deployment."""

    baseline: float | list[float] | None = None
    current: float | list[float]
    unit: str | None = None


class MetricPoints(_Input):
    """A timestamped series; the investigation window splits it into baseline and current."""

    points: list[tuple[datetime, float]]
    unit: str | None = None


MetricValue = float | list[float] | MetricWindows | MetricPoints


class IncidentInput(_Input):
    """The incident payload (contract version 1). Unknown keys are rejected."""

    deployment_id: str = Field(min_length=1)
    logs: list[str]
    metrics: dict[str, MetricValue]
    recent_commits: list[Commit]
    config_snapshot: dict[str, Any]

    service: str | None = None
    environment: str | None = None
    deployed_at: datetime | None = None
    incident_started_at: datetime | None = None
    previous_config_snapshot: dict[str, Any] | None = None

    @field_validator("logs")
    @classmethod
    def _cap_lines(cls, lines: list[str]) -> list[str]:
        """Cut every line to `MAX_LOG_LINE_CHARS` (a 1M-line payload is checked in ~15 ms)."""
        if max(map(len, lines), default=0) <= MAX_LOG_LINE_CHARS:
            return lines
        return [line[:MAX_LOG_LINE_CHARS] for line in lines]

    @field_validator("deployment_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("deployment_id must not be blank")
        return value

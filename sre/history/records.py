"""What the history store keeps and gives back: typed records that cross its boundary.

Every model forbids unknown keys. Times are timezone-aware (UTC) on the way in and out,
whatever the database does with them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alpha.schemas import ExecutionResult, IncidentInput

Trigger = Literal[
    "cli", "slash_command", "mention", "direct_message", "alert", "webhook", "button", "replay"
]
TRIGGERS: tuple[Trigger, ...] = (
    "cli",
    "slash_command",
    "mention",
    "direct_message",
    "alert",
    "webhook",
    "button",
    "replay",
)
Verdict = Literal["correct", "wrong"]
FeedbackSource = Literal["cli", "slack"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _utc(value: datetime) -> datetime:
    """A naive time is taken as UTC; an aware one is converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class PayloadCaps(_Record):
    """The bounds a stored payload was cut to (recorded with it, so a replay can say so).

    Attributes:
        max_log_lines: log lines kept (the first and the last halves of the limit).
        max_line_chars: characters kept of one log line or commit message.
        max_patch_chars: characters kept of one file's patch.
        max_points: points kept per metric series (evenly spaced).
        max_bytes: the stored JSON's size; log lines are halved until it fits.
    """

    max_log_lines: int = Field(default=10_000, ge=1)
    max_line_chars: int = Field(default=4_096, ge=64)
    max_patch_chars: int = Field(default=50_000, ge=64)
    max_points: int = Field(default=5_000, ge=2)
    max_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)


class PayloadCuts(_Record):
    """What the caps and the redaction removed from one payload."""

    log_lines_total: int = 0
    log_lines_dropped: int = 0
    lines_clipped: int = 0
    patches_clipped: int = 0
    points_dropped: int = 0
    original_bytes: int = 0
    stored_bytes: int = 0
    secrets_redacted: int = 0

    @property
    def cut(self) -> bool:
        """Whether anything but secrets was removed (a replay may then differ)."""
        return bool(
            self.log_lines_dropped
            or self.lines_clipped
            or self.patches_clipped
            or self.points_dropped
        )

    def describe(self) -> str:
        """One line for people: what was cut, or that nothing was."""
        parts = []
        if self.log_lines_dropped:
            parts.append(
                f"{self.log_lines_dropped:,} of {self.log_lines_total:,} log lines dropped"
            )
        if self.lines_clipped:
            parts.append(f"{self.lines_clipped:,} long lines clipped")
        if self.patches_clipped:
            parts.append(f"{self.patches_clipped:,} patches clipped")
        if self.points_dropped:
            parts.append(f"{self.points_dropped:,} metric points dropped")
        if self.secrets_redacted:
            parts.append(f"{self.secrets_redacted} secrets redacted")
        return "; ".join(parts) if parts else "stored whole"


class StoredPayload(_Record):
    """The payload as stored: redacted, capped, enough to replay.

    `fingerprint` is the SHA-256 of the payload as investigated (before caps and
    redaction): a fresh fetch with the same fingerprint means the sources are unchanged.
    """

    incident: IncidentInput
    caps: PayloadCaps
    cuts: PayloadCuts
    fingerprint: str


class RunContext(_Record):
    """Who started a run, how and where, and where its answer was posted.

    Attributes:
        trigger: CLI, slash command, alert (Sentry message in a channel), Sentry webhook,
            a Rerun button, or a replay of a stored run.
        requested_by: the Slack user id, or the local user name for the CLI.
        origin: where it was asked: `slack:<channel id>`, `cli@<host>`.
        slack_channel: the channel of the bot's message.
        slack_ts: the message's `ts`.
        slack_permalink: a link to the message, when Slack gave one.
        replay_of: the execution this run replayed.
    """

    trigger: Trigger
    requested_by: str | None = None
    origin: str | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    slack_permalink: str | None = None
    replay_of: str | None = None


class RunRecord(_Record):
    """One finished investigation, as handed to the store (already redacted)."""

    context: RunContext
    result: ExecutionResult
    payload: StoredPayload | None = None
    service: str | None = None
    environment: str | None = None
    started_at: datetime
    finished_at: datetime
    engine_version: str

    _times = field_validator("started_at", "finished_at")(_utc)

    @property
    def execution_id(self) -> str:
        return self.result.execution_id


class FeedbackRecord(_Record):
    """A verdict on a run: right or wrong, and when wrong, what the real cause was.

    Attributes:
        execution_id: the run judged.
        verdict: `correct` or `wrong`.
        rank: the ranked hypothesis judged (1 when the whole run is judged by its top one).
        category: the real cause's category (taxonomy), when known.
        suspects: the real cause's suspects (a config key, a commit, a host), when known.
        note: free text.
        user: Slack user id or local user name.
        source: where the verdict was given.
        created_at: when.
    """

    execution_id: str = Field(min_length=1, max_length=64)
    verdict: Verdict
    rank: int = Field(default=1, ge=1)
    category: str | None = None
    suspects: list[str] = Field(default_factory=list)
    note: str = Field(default="", max_length=4000)
    user: str | None = None
    source: FeedbackSource = "cli"
    created_at: datetime

    _time = field_validator("created_at")(_utc)

    @property
    def names_real_cause(self) -> bool:
        """Whether this verdict says what the cause was (a confirmation, or a category)."""
        return self.verdict == "correct" or self.category is not None


class RunSummary(_Record):
    """One line of `alpha history`: the run and its latest verdict."""

    execution_id: str
    trigger: Trigger
    requested_by: str | None
    origin: str | None
    deployment_id: str
    service: str | None
    started_at: datetime
    finished_at: datetime
    engine_version: str
    top_label: str | None
    top_category: str | None
    top_score: float | None
    requires_human_review: bool
    cost_usd: float | None
    total_tokens: int
    slack_channel: str | None
    slack_ts: str | None
    slack_permalink: str | None
    replay_of: str | None
    verdict: Verdict | None = None
    verdict_by: str | None = None

    _times = field_validator("started_at", "finished_at")(_utc)


class StoredRun(_Record):
    """Everything `alpha show` prints: the summary, the result, the payload's caps, feedback."""

    summary: RunSummary
    result: ExecutionResult
    feedback: list[FeedbackRecord] = Field(default_factory=list)
    payload_caps: PayloadCaps | None = None
    payload_cuts: PayloadCuts | None = None
    payload_fingerprint: str | None = None

    @property
    def latest_feedback(self) -> FeedbackRecord | None:
        return self.feedback[-1] if self.feedback else None


class PurgeReport(_Record):
    """What `purge` deleted."""

    runs: int
    dedup_keys: int
    before: datetime


def now_utc() -> datetime:
    """The current time, aware, in UTC (the default clock of records)."""
    return datetime.now(UTC)

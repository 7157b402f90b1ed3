"""The value models of the SRE signals: one Pydantic model per signal type.

Each model is the `value` of one signal type (`sre.signals.kinds.SignalType`); field names,
order and meanings are the contract between the extractors that build them and the agents'
rules that read them. The field order is the JSON order of `alpha investigate --json`.
Counts are of log records (a line plus its stack-trace continuation lines); "before" and
"after" are the two windows of the investigation (split at `deployed_at`, else at
`incident_started_at`; without a baseline everything counts as after). Times are ISO-8601
text (`2026-11-20T14:02:00Z`), as they appear in the JSON.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FILE_KINDS",
    "ChangeKind",
    "CommitValue",
    "ConfigChangeValue",
    "ConfigRiskValue",
    "DependencyErrorsValue",
    "EntityLogsValue",
    "EntityTemplateValue",
    "ErrorKind",
    "ExceptionValue",
    "FileKind",
    "FileKinds",
    "FrameValue",
    "LogTemplateValue",
    "LogVolumeValue",
    "MetricAnomalyValue",
    "MetricGrowthValue",
    "MetricLoneValue",
    "MetricSaturationValue",
    "RiskyChangeValue",
    "SignalValue",
    "SignatureValue",
    "SplitBy",
    "TemplateReason",
    "Trend",
]

# Why a log template is reported.
TemplateReason = Literal["new", "rate_jump", "rate_drop", "frequent"]
# What error lines pointing at a host say went wrong, in the order the extractor lists them.
ErrorKind = Literal["timeout", "connection_refused", "http_5xx", "tls", "dns", "auth", "reset"]
# The payload field that split the log into a baseline and an incident window.
SplitBy = Literal["deployed_at", "incident_started_at", "change_point"]
# How a config key differs from the previous snapshot.
ChangeKind = Literal["modified", "added", "removed"]
# The kinds of files a commit touches (`sre.extractors.files.classify_file`), in order.
FileKind = Literal["code", "config", "migration", "dependency", "docs_tests", "other"]
FILE_KINDS: tuple[FileKind, ...] = get_args(FileKind)


class _Value(BaseModel):
    """A signal value: unknown keys are rejected and a value never changes once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- logs


class LogTemplateValue(_Value):
    """`log_template`: one significant log template (at most 15 per run).

    Attributes:
        template: The masked message shared by the template's lines.
        level: The lines' level (`ERROR`, `WARN`, ..., `UNKNOWN`).
        count_before: Records of the template before the split.
        count_after: Records after it.
        rate_before: Lines per minute before (None when the window length is unknown).
        rate_after: Lines per minute after (None when unknown).
        rate_ratio: rate_after / rate_before (None when not computable).
        is_new: Seen only after the split.
        reason: `new`, `rate_jump`, `rate_drop`, or without a baseline `frequent`.
        score: Poisson significance x level weight, for ranking.
        example: One raw line (at most 500 characters).
        first_seen: When the template first appeared after the split, or None.
        exception_types: Exception type names its records carry.
        status_codes: HTTP statuses its records carry, sorted.
        hosts: Downstream hosts its records point at.
        files: Stack-frame files seen with the template.
    """

    template: str
    level: str
    count_before: int
    count_after: int
    rate_before: float | None
    rate_after: float | None
    rate_ratio: float | None
    is_new: bool
    reason: TemplateReason
    score: float
    example: str
    first_seen: str | None
    exception_types: list[str]
    status_codes: list[int]
    hosts: list[str]
    files: list[str]


class FrameValue(_Value):
    """One stack frame of an exception.

    Attributes:
        file: A repository-relative guess of the file (match commit files by suffix).
        raw_file: The path as the trace printed it.
        line: The line number.
        function: The function name.
    """

    file: str
    raw_file: str
    line: int
    function: str


class ExceptionValue(_Value):
    """`exception`: one exception type seen after the split (at most 10 per run).

    Attributes:
        exception_type: The exception's type name.
        message: An example message.
        count_before: Records carrying it before the split.
        count_after: Records carrying it after.
        is_new: Seen only after the split.
        frames: Application frames first, at most 10.
        files: The frames' files.
    """

    exception_type: str
    message: str
    count_before: int
    count_after: int
    is_new: bool
    frames: list[FrameValue]
    files: list[str]


class DependencyErrorsValue(_Value):
    """`dependency_errors`: one downstream host that error/warning lines point at (at most 10).

    Attributes:
        host: The host, `name:port` when the lines give a port.
        count_before: Error records naming it before the split.
        count_after: Error records naming it after.
        error_kinds: What went wrong, in `ErrorKind` order.
        status_codes: HTTP statuses seen, sorted.
        example: One raw line (at most 500 characters).
    """

    host: str
    count_before: int
    count_after: int
    error_kinds: list[ErrorKind]
    status_codes: list[int]
    example: str


class LogVolumeValue(_Value):
    """`log_volume`: overall record and error counts per window (one per run).

    Attributes:
        lines_before: Records before the split.
        lines_after: Records after it.
        errors_before: Error records before.
        errors_after: Error records after.
        error_share_before: errors_before / lines_before (None without records).
        error_share_after: errors_after / lines_after (None without records).
        split_at: The time separating the windows (None without a baseline).
        split_by: The payload field that gave it (None without a baseline).
        listeners: Port -> the workloads that announced listening on it (`starting grpc
            server at :3550`), sorted: who a bare `IP:port` in a caller's error may be.
    """

    lines_before: int
    lines_after: int
    errors_before: int
    errors_after: int
    error_share_before: float | None
    error_share_after: float | None
    split_at: str | None
    split_by: SplitBy | None
    listeners: dict[str, list[str]] = Field(default_factory=dict)


class EntityTemplateValue(_Value):
    """One of an entity's templates: an error/warning template that rose most, or a steady
    template that went silent.

    Attributes:
        template: The template's text (at most 300 characters).
        level: `ERROR`, `WARN` or `INFO`.
        before: Its records from the entity before the split.
        after: Its records from the entity after the split.
        excess: Records after the split beyond what the entity's own volume predicts.
    """

    template: str
    level: str
    before: int
    after: int
    excess: float


class EntityLogsValue(_Value):
    """`entity_logs`: an emitting entity whose own logs changed: error and warning records
    beyond what its volume predicts, or a shifted mix of templates
    (`sre.extractors.logs.platform`, `sre.extractors.logs.by_entity`).

    Attributes:
        entity: The entity's name as the lines give it (a pod, a host, a service).
        kind: What kind of entity it is (`sre.extractors.entities`).
        workload: The workload it belongs to (a pod's deployment), the name it is counted by.
        records_before: Its records before the split.
        records_after: Its records after the split.
        errors_before: Its error records before.
        errors_after: Its error records after.
        warnings_before: Its warning records before.
        warnings_after: Its warning records after.
        excess: Error and warning records beyond its own volume (warnings count a quarter).
        pattern_shift: Total variation distance of its template mix, before against after
            (0 when the shift is not significant or cannot be judged).
        pattern_g: The G statistic of that shift (0 when it cannot be judged).
        new_templates: Its error/warning templates seen only after the split (at least 2).
        templates: The templates that rose most (at most 3).
        first_seen: When its rising trouble first appeared, or None.
        names: Hosts and objects its rising errors name, most named first.
        call_failures: The share of `excess` in templates that report a failed outbound
            call (an RPC status error, an upstream failure, a refused connection): how much
            of its trouble is a caller's symptom of something it called.
        silenced: Poisson surprise that one of its steady templates stopped after the
            split (0 when none did significantly; `EntityCounts.silenced`).
        silenced_template: That template, or None.
    """

    entity: str
    kind: str
    workload: str
    records_before: int
    records_after: int
    errors_before: int
    errors_after: int
    warnings_before: int
    warnings_after: int
    excess: float
    pattern_shift: float
    pattern_g: float
    new_templates: int
    templates: list[EntityTemplateValue]
    first_seen: str | None
    names: list[str]
    call_failures: float = 0.0
    silenced: float = 0.0
    silenced_template: EntityTemplateValue | None = None


# How a signature's count moved between the windows (`sre.extractors.logs.platform.trend`).
Trend = Literal["new", "rising", "steady", "unclear", "unknown"]


class SignatureValue(_Value):
    """`signature`: a known failure signature of a platform (`sre.extractors.signatures`),
    per kind and object.

    Attributes:
        kind: The catalogue entry (`oom_killed`, `image_pull`, `nxdomain`, ...).
        family: Its family (`kubernetes`, `dns`, `tls`, ...).
        category: The taxonomy category it points at as a cause, or None for symptoms.
        strength: How decisive one occurrence is (1.0 decides).
        summary: What it means, in words.
        obj: The object the line names (a pod, a host, a secret), or None.
        emitter: The entity that logged it, or None.
        count_before: Records carrying it before the split.
        count_after: Records carrying it after.
        trend: `new`, `rising`, `steady`, `unclear`, or `unknown` without a baseline.
        first_seen: When it first appeared after the split, or None.
        example: One raw line (at most 500 characters).
        template: The template it was found in (at most 300 characters).
        hosts: Hosts the lines carrying it point at (dependency hosts of its templates).
        obj_active: Whether the object it names kept logging after the split at least at
            half its baseline rate (it is up and serving); None when it emits no logs here
            or the windows cannot tell.
    """

    kind: str
    family: str
    category: str | None
    strength: float
    summary: str
    obj: str | None
    emitter: str | None
    count_before: int
    count_after: int
    trend: Trend
    first_seen: str | None
    example: str
    template: str
    hosts: list[str]
    obj_active: bool | None


# --------------------------------------------------------------------------- metrics


class MetricAnomalyValue(_Value):
    """`metric_anomaly`: a significant level shift of one series.

    Attributes:
        metric: The series name.
        unit: Its unit as the payload gives it, or None.
        baseline: Median before the shift.
        current: Median after it.
        ratio: current / baseline (None when the baseline is 0).
        delta: current - baseline.
        direction: `up` or `down`.
        robust_z: The shift over the series' robust noise.
        change_index: Index in the series where the level shifted.
        change_at: When it shifted (None when the series carries no times).
        split_given: True when the split came from the payload's windows or `deployed_at`,
            False for a detected change point.
        entity: The workload the series is about (`sre.extractors.entities`), or None.
        measure: What it measures (the name without its entity).
        kind: The kind of measure (`sre.extractors.measures`: latency, errors, cpu, ...).
        bad: Whether the departure's direction is the harmful one for this kind.
        noise_z: The departure over the series' own noise (`sre.extractors.departure`).
        effect: The move relative to the series' scale.
        score: The departure's strength as evidence.
        onset_at: When the first point beyond the noise came (None without times).
    """

    metric: str
    unit: str | None
    baseline: float
    current: float
    ratio: float | None
    delta: float
    direction: Literal["up", "down"]
    robust_z: float
    change_index: int
    change_at: str | None
    split_given: bool
    entity: str | None
    measure: str
    kind: str
    bad: bool
    noise_z: float
    effect: float
    score: float
    onset_at: str | None


class MetricSaturationValue(_Value):
    """`metric_saturation`: a series at (or near) its limit.

    Attributes:
        metric: The series name.
        current: Max of the current window.
        limit: The limit (100 or 1 for percentages, else the config value).
        limit_key: The dotted config key holding the limit (None for percentages).
        utilization: current / limit (0..1+); for a depleted series, the share used up.
        statistic: How `current` was taken.
        depleted: Whether this is a free-space or credit series run down to almost nothing
            of its own peak (`limit`), rather than a usage series at its limit.
    """

    metric: str
    current: float
    limit: float
    limit_key: str | None
    utilization: float
    statistic: str
    depleted: bool = False


class MetricGrowthValue(_Value):
    """`metric_growth`: a series growing steadily (a leak, a filling disk).

    Attributes:
        metric: The series name.
        unit: Its unit as the payload gives it, or None.
        first: The first point.
        last: The last point.
        peak: The largest point.
        slope: Growth per point.
        monotonic_share: Share of steps not falling.
        spearman: Rank correlation with time.
    """

    metric: str
    unit: str | None
    first: float
    last: float
    peak: float
    slope: float
    monotonic_share: float
    spearman: float


class MetricLoneValue(_Value):
    """`metric_value`: a notable value with no baseline (an error-like metric above zero).

    Attributes:
        metric: The series name.
        unit: Its unit as the payload gives it, or None.
        current: The median of the values given.
    """

    metric: str
    unit: str | None
    current: float


# --------------------------------------------------------------------------- config

# Config values are whatever the snapshot holds: JSON scalars, lists and empty mappings, and
# from YAML files dates and times too, so they stay untyped.
ConfigValue = Any


class ConfigChangeValue(_Value):
    """`config_change`: one key that differs from the previous snapshot.

    Attributes:
        key: The dotted key.
        old: The previous value (None when added).
        new: The current value (None when removed).
        change: `modified`, `added` or `removed`.
        ratio: new / old for numbers, else None.
        commit_shas: Recent commits whose patches touch the key.
    """

    key: str
    old: ConfigValue
    new: ConfigValue
    change: ChangeKind
    ratio: float | None
    commit_shas: list[str]


class ConfigRiskValue(_Value):
    """`config_risk`: a risky config value.

    Attributes:
        key: The dotted key.
        value: Its current value.
        reason: The reasons joined by "; ".
        reasons: Tiny pool, tiny timeout, debug on, flag newly on, ...
        changed: True when the key is in the diff; without a previous snapshot every key
            is judged and this is False.
    """

    key: str
    value: ConfigValue
    reason: str
    reasons: list[str]
    changed: bool


# --------------------------------------------------------------------------- commits


class FileKinds(_Value):
    """A commit's files by kind (`FileKind`), each list in the commit's order."""

    code: list[str]
    config: list[str]
    migration: list[str]
    dependency: list[str]
    docs_tests: list[str]
    other: list[str]

    def of(self, *kinds: FileKind) -> list[str]:
        """The files of the given kinds, kind by kind."""
        return [name for kind in kinds for name in getattr(self, kind)]

    def all_files(self) -> list[str]:
        """Every file, each once, kind by kind."""
        return list(dict.fromkeys(self.of(*FILE_KINDS)))


class RiskyChangeValue(_Value):
    """A risky change seen in a patch.

    Attributes:
        file: The file.
        kind: What kind of risk (`sre.extractors.patterns`).
        detail: The line or value that shows it.
    """

    file: str
    kind: str
    detail: str


class CommitValue(_Value):
    """`commit`: one recent commit, innocent ones included.

    Attributes:
        sha: The full SHA as the payload gives it (7 to 64 hex digits).
        message: The commit message.
        author: Its author, or None.
        timestamp: When it was made, or None.
        minutes_before_deploy: Minutes from the commit to the deploy (None when unknown).
        minutes_before_incident: Minutes from the commit to the incident (None when unknown).
        file_kinds: Its files by kind.
        additions: Lines added.
        deletions: Lines removed.
        files_in_stack_frames: Its files that appear in error stack frames.
        config_keys: Keys of the config diff that its patches touch.
        risky_changes: Risky changes in its patches.
        observability_only: True when every code patch only changes logging, tracing or
            metrics lines; False when unknown.
        style_only: True when the message announces a formatter/linter change, its other
            files are only linter settings, docs or tests, and every code patch given
            re-lays out the same text.
    """

    # Not constrained to hex: the redaction boundary may hide any string, and a placeholder
    # must not make the signal invalid.
    sha: str
    message: str
    author: str | None
    timestamp: str | None
    minutes_before_deploy: float | None
    minutes_before_incident: float | None
    file_kinds: FileKinds
    additions: int
    deletions: int
    files_in_stack_frames: list[str]
    config_keys: list[str]
    risky_changes: list[RiskyChangeValue]
    observability_only: bool
    style_only: bool


SignalValue = (
    LogTemplateValue
    | ExceptionValue
    | DependencyErrorsValue
    | EntityLogsValue
    | SignatureValue
    | LogVolumeValue
    | MetricAnomalyValue
    | MetricSaturationValue
    | MetricGrowthValue
    | MetricLoneValue
    | ConfigChangeValue
    | ConfigRiskValue
    | CommitValue
)

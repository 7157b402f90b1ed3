"""The investigation window: where the evidence splits into baseline and incident.

Not every incident follows a deploy (`shared/spec/incident-payload.md`, "The investigation
window"). The split is, in order:

1. `deployed_at`, when the evidence (the log's first timestamped line; without one, the
   earliest timestamped metric point) begins before it, or carries no time at all (explicit
   metric windows are before and after it by contract): what changed at the deploy is then
   visible (a deploy long before the evidence says nothing about it);
2. `incident_started_at`, when the evidence begins before it;
3. a change point found in the error rate of the logs: the time after which the share of
   error lines is significantly higher (a Poisson likelihood-ratio test over time buckets,
   at least `MIN_ERRORS_AFTER` errors after and `MIN_RATE_RATIO` times the rate before);
4. a change point found in the latency, error and success series (`metric_change_point`):
   each timestamped series of those kinds that departs from its own noise in its harmful
   direction (`sre.extractors.shifts`, `sre.extractors.departure`) votes for its change
   point with its departure's score; the onsets that agree within `ONSET_TOLERANCE` of the
   evidence's span and carry the most score win, and the earliest of them is the split (an
   incident begins at its first symptom);
5. none: the whole payload is the incident window, and decisive signatures carry the case.

`Window.has_deploy` says whether a deploy is part of the story at all (a `deployed_at`, or
recent commits): with none, nothing may be said or advised about a deploy.

The change-point scan reads at most `MAX_SCAN_LINES` lines (an even sample of a larger log),
so it stays cheap on a million lines. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from alpha.schemas import IncidentInput, MetricPoints, MetricValue
from sre.extractors.logs.parse import ERROR_LEVELS
from sre.extractors.logs.shapes import LineParser, collector_prefix
from sre.extractors.measures import series_measure
from sre.extractors.shifts import detected_shift, episode_departure, normalise
from sre.extractors.timeutil import as_utc
from sre.signals.values import SplitBy

__all__ = [
    "MAX_SCAN_LINES",
    "MIN_ERRORS_AFTER",
    "MIN_RATE_RATIO",
    "NO_SPLIT_LABEL",
    "Window",
    "error_change_point",
    "investigation_window",
    "metric_change_point",
]

MAX_SCAN_LINES = 50_000
BUCKETS = 60
MIN_ERRORS_AFTER = 5
MIN_RATE_RATIO = 3.0
# Log-likelihood ratio a change point must reach (about p < 0.001 for one split; the scan
# tries many, so it is set well above the single-test threshold).
MIN_LLR = 10.0
_HEAD_LINES = 200
# Kinds whose harmful move marks an incident by itself (traffic and resources move for
# innocent reasons too: a batch job, a deploy elsewhere).
_ONSET_KINDS = frozenset({"latency", "errors", "success"})
# Onsets this share of the evidence's time span apart are the same onset.
ONSET_TOLERANCE = 0.05
NO_SPLIT_LABEL = "the start of the evidence"


@dataclass(frozen=True)
class Window:
    """Where the evidence splits.

    Attributes:
        split_at: The split time (UTC), or None when the whole payload is the incident.
        split_by: `deployed_at`, `incident_started_at`, `change_point` or None.
        has_deploy: A deploy is part of the incident (`deployed_at` or recent commits).
    """

    split_at: datetime | None
    split_by: SplitBy | None
    has_deploy: bool

    @property
    def label(self) -> str:
        """How a description names the split: "the deploy", "the incident start", ..."""
        if self.split_by == "deployed_at":
            return "the deploy"
        if self.split_by == "incident_started_at":
            return "the incident start"
        if self.split_by == "change_point" and self.split_at is not None:
            return f"the change at {self.split_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        return NO_SPLIT_LABEL


def investigation_window(incident: IncidentInput) -> Window:
    """The investigation window of an incident (see the module docstring)."""
    has_deploy = incident.deployed_at is not None or bool(incident.recent_commits)
    start = _evidence_start(incident)
    given: tuple[tuple[datetime | None, SplitBy], ...] = (
        (incident.deployed_at, "deployed_at"),
        (incident.incident_started_at, "incident_started_at"),
    )
    for moment, name in given:
        # Evidence without any time (explicit metric windows, untimed lines) is "before and
        # after" the given moment by the payload's contract.
        if moment is not None and (start is None or start < as_utc(moment)):
            return Window(as_utc(moment), name, has_deploy)
    found = error_change_point(incident.logs) or metric_change_point(incident.metrics)
    if found is not None:
        return Window(found, "change_point", has_deploy)
    return Window(None, None, has_deploy)


def metric_change_point(metrics: Mapping[str, MetricValue]) -> datetime | None:
    """The onset the harmful latency/error departures agree on, or None (see the module
    docstring, step 4)."""
    onsets: list[tuple[datetime, float]] = []
    first: datetime | None = None
    last: datetime | None = None
    for name in sorted(metrics):
        metric = metrics[name]
        if not isinstance(metric, MetricPoints):
            continue
        measure = series_measure(name, metric.unit)
        if measure.kind not in _ONSET_KINDS:
            continue
        series = normalise(name, metric, None)
        if not series.times:
            continue
        first = min(first or series.times[0], series.times[0])
        last = max(last or series.times[-1], series.times[-1])
        shift = detected_shift(series)
        if shift is None:
            continue
        moved = episode_departure(series, shift, measure)
        if moved is not None and moved.significant and moved.bad:
            onsets.append((series.times[shift.index], moved.score))
    if not onsets or first is None or last is None:
        return None
    tolerance = ONSET_TOLERANCE * (last - first)

    def agreeing(moment: datetime) -> list[tuple[datetime, float]]:
        return [(t, score) for t, score in onsets if abs(t - moment) <= tolerance]

    best = max(onsets, key=lambda o: (sum(score for _, score in agreeing(o[0])), -o[0].timestamp()))
    return min(t for t, _ in agreeing(best[0]))


def _evidence_start(incident: IncidentInput) -> datetime | None:
    """When the evidence begins: the log's first timestamped line, else the earliest
    timestamped metric point."""
    moment = incident.deployed_at or incident.incident_started_at
    parser = LineParser(moment.year if moment else 1970)
    for line in incident.logs[:_HEAD_LINES]:
        ts = parser.parse(line)[0].ts
        if ts is not None:
            return datetime.fromtimestamp(ts, tz=UTC)
    times = [
        min(as_utc(t) for t, _ in metric.points)
        for metric in incident.metrics.values()
        if isinstance(metric, MetricPoints) and metric.points
    ]
    return min(times) if times else None


def error_change_point(lines: Sequence[str]) -> datetime | None:
    """The time after which error lines become significantly more frequent, or None.

    Lines are bucketed by time into `BUCKETS` equal spans; every boundary is tried, and the
    one with the largest Poisson log-likelihood ratio of "the error share rose" wins, if it
    passes `MIN_LLR`, `MIN_ERRORS_AFTER` and `MIN_RATE_RATIO`.
    """
    stride = max(1, math.ceil(len(lines) / MAX_SCAN_LINES))
    parser = LineParser()
    points: list[tuple[float, bool]] = []
    for line in lines[::stride]:
        cut = collector_prefix(line)
        parsed = parser.parse(line[cut:])[0]
        ts = parsed.ts if parsed.ts is not None or not cut else parser.prefix_time(line)
        if ts is not None:
            points.append((ts, parsed.level in ERROR_LEVELS))
    if len(points) < 20:
        return None
    first = min(t for t, _ in points)
    last = max(t for t, _ in points)
    if last <= first:
        return None
    width = (last - first) / BUCKETS
    totals = [0] * BUCKETS
    errors = [0] * BUCKETS
    for ts, is_error in points:
        index = min(BUCKETS - 1, int((ts - first) / width))
        totals[index] += 1
        errors[index] += is_error
    best = _best_split(totals, errors)
    if best is None:
        return None
    return datetime.fromtimestamp(first + best * width, tz=UTC)


def _best_split(totals: list[int], errors: list[int]) -> int | None:
    all_lines, all_errors = sum(totals), sum(errors)
    best: tuple[float, int] | None = None
    lines_before = errors_before = 0
    for k in range(1, len(totals)):
        lines_before += totals[k - 1]
        errors_before += errors[k - 1]
        lines_after = all_lines - lines_before
        errors_after = all_errors - errors_before
        if lines_before == 0 or lines_after == 0 or errors_after < MIN_ERRORS_AFTER:
            continue
        share_before = (errors_before + 0.5) / lines_before
        share_after = errors_after / lines_after
        if share_after < MIN_RATE_RATIO * share_before:
            continue
        llr = _poisson_llr(errors_after, share_before * lines_after)
        if llr >= MIN_LLR and (best is None or llr > best[0]):
            best = (llr, k)
    return best[1] if best is not None else None


def _poisson_llr(observed: int, expected: float) -> float:
    """Log-likelihood ratio of a Poisson count `observed` against the rate `expected`."""
    if observed <= expected or expected <= 0:
        return 0.0
    return observed * math.log(observed / expected) - (observed - expected)

"""Level shifts of one metric series: where the incident window starts and whether it moved.

Every payload form is first normalised to one series with an optional split:

- `480` (current only) and `{"current": ...}` without a baseline: no split;
- `[...]` evenly spaced series: it carries no times, so `deployed_at` cannot place it and
  the split is a detected change point;
- `{"baseline": ..., "current": ...}`: the split is given;
- `{"points": [...]}`: sorted by time and split at `deployed_at` when that falls inside
  the series, else a detected change point.

A shift is reported (`metric_anomaly`) only when it is both large relative to the baseline
(>= 25 %) and large against the noise (robust z >= 3.5, the noise being the MAD of every
point around its own side's median). The two sides must also separate:
P(after > before) >= 0.8 (or <= 0.2) at a given split, and >= 0.9 (or <= 0.1) at a
detected change point, because the best split of pure noise would otherwise look like a
shift. Medians alone are fooled by sparse counts (mostly 0, sometimes 1 or 2).

A shift may end inside the series: a fault injected for a few minutes, a stall that
clears. The points after the series returns (`episode_end`: a second change point whose
level is back at least half way to the baseline) are neither baseline nor incident, so
the shift is measured on the episode alone; counting them as "after" would blur a clear
move (a CPU burn of 14 points followed by 7 recovered ones separates at P = 0.83).

Some exporters write a count only when it is not zero (CloudWatch's throttles and 5XX
counts): an error or throttling series that begins after the rest of the evidence was
zero until then, and `zero_filled` writes those zeros back at the series' own step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from alpha.schemas import MetricPoints, MetricValue, MetricWindows
from sre.extractors.departure import Departure, departure
from sre.extractors.measures import Measure
from sre.extractors.stats import change_point, finite, median, pooled_scale, separation
from sre.extractors.timeutil import as_utc

__all__ = [
    "ZERO_OMITTED_KINDS",
    "MIN_EPISODE",
    "MIN_RELATIVE_CHANGE",
    "MIN_ROBUST_Z",
    "MIN_SEPARATION",
    "MIN_SEPARATION_GIVEN",
    "Series",
    "Shift",
    "detected_shift",
    "episode_end",
    "episode_departure",
    "find_shift",
    "normalise",
    "shift_at",
    "zero_filled",
]

MIN_RELATIVE_CHANGE = 0.25
MIN_ROBUST_Z = 3.5
MIN_SEPARATION = 0.9
MIN_SEPARATION_GIVEN = 0.8
MIN_EPISODE = 3


@dataclass(frozen=True)
class Series:
    """A metric normalised: values oldest first, and where the current window starts.

    `split` is the index of the first current point (None when unknown); `given_split`
    tells whether the payload fixed it (windows, or `deployed_at` inside the points).
    """

    name: str
    unit: str | None
    values: list[float]
    times: list[datetime] | None
    split: int | None
    given_split: bool
    current_only: bool


def _as_list(value: float | list[float] | None) -> list[float]:
    if value is None:
        return []
    return finite(value) if isinstance(value, list) else finite([value])


def normalise(name: str, metric: MetricValue, split_at: datetime | None) -> Series:
    """The series of one payload metric (see the module docstring for the forms).

    Args:
        name: The metric's name.
        metric: Its payload value.
        split_at: Where a timestamped series splits (the investigation window's split).
    """
    if isinstance(metric, MetricWindows):
        baseline, current = _as_list(metric.baseline), _as_list(metric.current)
        if metric.baseline is None or not baseline:
            return Series(name, metric.unit, current, None, None, False, True)
        return Series(name, metric.unit, baseline + current, None, len(baseline), True, False)
    if isinstance(metric, MetricPoints):
        pairs = sorted(
            ((as_utc(t), float(v)) for t, v in metric.points if finite([v])),
            key=lambda pair: pair[0],
        )
        times, values = [t for t, _ in pairs], [v for _, v in pairs]
        split = _split_index(times, split_at)
        return Series(name, metric.unit, values, times, split, split is not None, False)
    if isinstance(metric, list):
        return Series(name, None, finite(metric), None, None, False, False)
    return Series(name, None, _as_list(metric), None, None, False, True)


def _split_index(times: list[datetime], split_at: datetime | None) -> int | None:
    """The index of the first point at or after `split_at`, when it falls inside."""
    if split_at is None:
        return None
    cut = as_utc(split_at)
    index = next((i for i, t in enumerate(times) if t >= cut), len(times))
    return index if 0 < index < len(times) else None


# Counts of bad events that exporters leave out while they are zero: CloudWatch reports a
# Sum only for periods with data (throttles, 5XX), many exporters create a series at its
# first event. A series of these kinds that begins after the rest of the evidence was zero
# until then.
ZERO_OMITTED_KINDS = frozenset({"errors", "throttling"})


def zero_filled(series: Series, start: datetime, split_at: datetime | None) -> Series:
    """`series` with the zeros its exporter left out between `start` (when the rest of the
    evidence begins) and its first point, at its own step, split again at `split_at`;
    unchanged when it begins at `start` or has fewer than two points (no step)."""
    times = series.times
    if not times or len(times) < 2 or times[0] <= start:
        return series
    step = sorted(b - a for a, b in zip(times, times[1:], strict=False))[(len(times) - 1) // 2]
    if step.total_seconds() <= 0:
        return series
    missing = int((times[0] - start) / step)
    if missing < 1:
        return series
    filled = [times[0] - step * (missing - i) for i in range(missing)] + times
    split = _split_index(filled, split_at)
    values = [0.0] * missing + series.values
    return replace(series, values=values, times=filled, split=split, given_split=split is not None)


@dataclass(frozen=True)
class Shift:
    """A significant level shift between the two sides of a split."""

    baseline: float
    current: float
    ratio: float | None
    robust_z: float
    index: int
    end: int


def _min_segment(n: int) -> int:
    """The fewest points a side of a change point may have in a series of `n`."""
    return 1 if n < 4 else max(2, n // 10)


def episode_end(values: list[float], start: int, incident: int | None = None) -> int:
    """Where the shift that began at `start` ends: the first point of a return at least
    half way to the baseline (see the module docstring), or the series' length. An
    episode keeps at least `MIN_EPISODE` and `_min_segment` points of the whole series,
    and as many past `incident` (the given split) when there is one: a move that is over
    before the incident began, or just after, is the baseline's own wobble."""
    n = len(values)
    if start == 0:
        return n
    keep = _min_segment(n)
    tail = values[start:]
    back = change_point(tail, max(2, keep))
    if back is None or back < max(MIN_EPISODE, keep):
        return n
    if incident is not None and start + back < incident + keep:
        return n
    base, during, after = median(values[:start]), median(tail[:back]), median(tail[back:])
    if during == base or abs(after - base) > 0.5 * abs(during - base):
        return n
    return start + back


def shift_at(
    values: list[float], split: int, detected: bool, incident: int | None = None
) -> Shift | None:
    """The shift at `split` if it passes the thresholds of the module docstring, measured
    on the episode that begins there (`episode_end`; `incident`: the given split)."""
    end = episode_end(values, split, incident)
    before, after = values[:split], values[split:end]
    if not before or not after:
        return None
    base, cur = median(before), median(after)
    delta = cur - base
    if delta == 0:
        return None
    relative = abs(delta) / abs(base) if base else float("inf")
    # Without noise (a constant baseline, single points) the floor keeps z finite; the
    # relative threshold then decides.
    scale = max(pooled_scale([before, after]), 0.01 * max(abs(base), abs(cur)), 1e-9)
    z = delta / scale
    if relative < MIN_RELATIVE_CHANGE or abs(z) < MIN_ROBUST_Z:
        return None
    needed = MIN_SEPARATION if detected else MIN_SEPARATION_GIVEN
    auc = separation(before, after)
    if needed > auc > 1 - needed:
        return None
    ratio = cur / base if base else None
    if ratio is not None and not math.isfinite(ratio):
        ratio = None  # a baseline of 1e-300 is zero for every practical purpose
    return Shift(base, cur, ratio, round(z, 2), split, end)


def episode_departure(series: Series, shift: Shift | None, measure: Measure) -> Departure | None:
    """How far the shift's episode departs from the baseline before it (None: no shift)."""
    if shift is None:
        return None
    return departure(series.values[: shift.end], shift.index, measure)


def find_shift(series: Series) -> tuple[Shift | None, bool]:
    """The series' significant shift and whether it sits at the given split.

    When the payload's split shows no shift, a detected change point is tried as well:
    an incident need not start at the deploy (a dependency failing an hour later).
    """
    values = series.values
    if series.split is not None:
        at_split = shift_at(values, series.split, detected=not series.given_split)
        if at_split is not None:
            return at_split, series.given_split
    return detected_shift(series), False


def detected_shift(series: Series) -> Shift | None:
    """The significant shift at the series' own change point (not at the given split)."""
    if series.current_only:
        return None
    index = change_point(series.values, _min_segment(len(series.values)))
    if index is None or index == series.split:
        return None
    incident = series.split if series.given_split else None
    return shift_at(series.values, index, detected=True, incident=incident)

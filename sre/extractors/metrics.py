"""Metric evidence: level shifts, saturation, steady growth and notable lone values.

Series are normalised and their shifts found by `sre.extractors.shifts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alpha.schemas import IncidentInput, Severity
from sre.extractors.config import flatten_config, is_capacity_key
from sre.extractors.departure import Departure, sustained
from sre.extractors.entities import metric_entity
from sre.extractors.expiry import expired_certificate
from sre.extractors.finding import Finding
from sre.extractors.fmt import fmt_num, fmt_ratio, is_number
from sre.extractors.keywords import LIMIT_TOKENS, concepts, tokens
from sre.extractors.kubestate import state_signature
from sre.extractors.limits import paired_limits
from sre.extractors.measures import Measure, is_absolute_unit, series_measure
from sre.extractors.replaced import replaced_pods
from sre.extractors.shifts import (
    ZERO_OMITTED_KINDS,
    Series,
    Shift,
    detected_shift,
    episode_departure,
    find_shift,
    normalise,
    zero_filled,
)
from sre.extractors.stats import average_ranks, median
from sre.extractors.timeutil import iso
from sre.extractors.window import NO_SPLIT_LABEL, Window, investigation_window
from sre.signals.values import (
    MetricAnomalyValue,
    MetricGrowthValue,
    MetricLoneValue,
    MetricSaturationValue,
)

SATURATION_AT = 0.9
GROWTH_MIN_POINTS = 5
GROWTH_NONDECREASING = 0.8
GROWTH_INCREASING = 0.5
GROWTH_MIN_RISE = 0.2
GROWTH_MIN_SPEARMAN = 0.9
# The largest single step of a "growth" must be under this share of the whole rise; a
# series that jumps once and stays flat is a level shift, not a leak.
GROWTH_MAX_STEP_SHARE = 0.5

_PERCENT_TOKENS = frozenset({"percent", "pct", "utilization", "utilisation", "util", "usage"})
# Higher is better for these, so a value near 100 % is no saturation.
_GOOD_TOKENS = frozenset({"hit", "hits", "success", "availability", "uptime", "ok", "idle", "free"})
_ERROR_TOKENS = frozenset(
    {"error", "errors", "err", "5xx", "4xx", "fail", "failed", "failure", "failures"}
    | {"exception", "exceptions", "timeout", "timeouts", "rejected", "dropped", "oom"}
)
# Usage metrics count things in use; these tokens mark times, rates or errors instead.
_NOT_USAGE = _ERROR_TOKENS | {"wait", "latency", "duration", "ms", "seconds", "rate", "per"}
_NOT_USAGE |= {"total", "created", "closed", "opened", "timeout"}
# A metric named after the capacity itself (`db_pool_size`) is the limit, not the usage.
_NOT_USAGE |= {"size", "capacity", "limit", "limits", "max", "maximum", "cap"}
_RESOURCES = frozenset({"conn", "worker", "fd"})
# Words that say nothing about which system a metric or key belongs to.
_UNQUALIFYING = frozenset(
    {"in", "use", "used", "active", "busy", "current", "open", "inflight", "count", "num"}
    | {"default", "config", "settings", "app", "service", "client", "clients", "process"}
)


def _shift_severity(shift: Shift) -> Severity:
    if shift.ratio is None or shift.ratio <= 0:
        return "high"
    factor = max(shift.ratio, 1 / shift.ratio)
    return "high" if factor >= 3 else "medium" if factor >= 1.5 else "low"


def _unit_text(series: Series) -> str:
    """The unit to print after a number: the given one, else one the name ends with."""
    unit = series.unit
    if unit is None and _percent_scale(series) == 100.0:
        unit = "%"
    if unit is None:
        unit = next((u for u in ("ms", "mb", "gb", "kb") if u in tokens(series.name)), None)
    if not unit:
        return ""
    return unit if unit == "%" else f" {unit}"


def _shift_finding(
    series: Series,
    shift: Shift,
    given: bool,
    measure: Measure,
    moved: Departure,
    label: str,
) -> Finding:
    unit = _unit_text(series)
    verb = "rose" if shift.current > shift.baseline else "fell"
    ratio = f" ({fmt_ratio(shift.ratio)})" if shift.ratio is not None else " (from zero)"
    change_at = iso(series.times[shift.index]) if series.times else None
    name = metric_entity(series.name)
    onset = moved.onset
    if given:
        # Explicit windows are "before and after" the investigation's split (the deploy, or
        # the incident start when there is none).
        when = " in the incident window" if label == NO_SPLIT_LABEL else f" after {label}"
    elif change_at:
        when = f" from {change_at}"
    else:
        when = f" at point {shift.index + 1} of {len(series.values)}"
    text = (
        f"{series.name} {verb} from {fmt_num(shift.baseline)}{unit} to "
        f"{fmt_num(shift.current)}{unit}{ratio}{when}"
    )
    return Finding(
        description=text,
        severity=_shift_severity(shift),
        value=MetricAnomalyValue(
            metric=series.name,
            unit=series.unit,
            baseline=shift.baseline,
            current=shift.current,
            ratio=round(shift.ratio, 4) if shift.ratio is not None else None,
            delta=shift.current - shift.baseline,
            direction="up" if shift.current > shift.baseline else "down",
            robust_z=shift.robust_z,
            change_index=shift.index,
            change_at=change_at,
            split_given=given,
            # What the series measures, of which entity, and how far it departed from its
            # noise.
            entity=name.entity.workload if name.entity else None,
            measure=name.measure,
            kind=measure.kind,
            bad=moved.bad,
            noise_z=moved.z,
            effect=moved.effect,
            score=moved.score,
            onset_at=iso(series.times[onset]) if series.times and onset is not None else None,
        ),
    )


# --------------------------------------------------------------------------- growth


def _spearman(values: list[float]) -> float:
    """Spearman's rank correlation between position and value (0 for a constant series)."""
    n = len(values)
    ranks = average_ranks(values)
    mean = (n + 1) / 2.0
    cov = sum((i + 1 - mean) * (r - mean) for i, r in enumerate(ranks))
    var_index = sum((i + 1 - mean) ** 2 for i in range(n))
    var_rank = sum((r - mean) ** 2 for r in ranks)
    if var_index == 0 or var_rank == 0:
        return 0.0
    return cov / math.sqrt(var_index * var_rank)


@dataclass(frozen=True)
class Growth:
    """Steady growth of a series: its first, last and peak points, slope and steadiness."""

    first: float
    last: float
    peak: float
    slope: float
    monotonic_share: float
    spearman: float


def growth(values: list[float]) -> Growth | None:
    """Steady growth (a leak): rising across the series, not in one jump.

    Growth means: at least `GROWTH_MIN_POINTS` points; the median of the last quarter at
    least 20 % above the median of the first quarter; either most steps up
    (>= 80 % not falling, >= 50 % rising) or a rank correlation with time >= 0.9 (noisy
    leaks); and no single step larger than half of the rise (that is a level shift).
    """
    n = len(values)
    if n < GROWTH_MIN_POINTS:
        return None
    quarter = max(1, n // 4)
    start, end = median(values[:quarter]), median(values[-quarter:])
    rise = end - start
    if rise <= 0 or (start and rise / abs(start) < GROWTH_MIN_RISE):
        return None
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    nondecreasing = sum(1 for s in steps if s >= 0) / len(steps)
    increasing = sum(1 for s in steps if s > 0) / len(steps)
    stepwise = nondecreasing >= GROWTH_NONDECREASING and increasing >= GROWTH_INCREASING
    rho = _spearman(values)
    if not (stepwise or rho >= GROWTH_MIN_SPEARMAN) or max(steps) > GROWTH_MAX_STEP_SHARE * rise:
        return None
    return Growth(
        first=values[0],
        last=values[-1],
        peak=max(values),
        slope=(values[-1] - values[0]) / (n - 1),
        monotonic_share=round(nondecreasing, 3),
        spearman=round(rho, 3),
    )


def _growth_finding(series: Series, found: Growth) -> Finding:
    unit = _unit_text(series)
    relative = (found.last - found.first) / abs(found.first) if found.first else None
    text = (
        f"{series.name} grew steadily from {fmt_num(found.first)}{unit} to "
        f"{fmt_num(found.last)}{unit} over {len(series.values)} points "
        f"({found.monotonic_share:.0%} of steps not falling"
    )
    if found.peak > found.last:
        text += f", peak {fmt_num(found.peak)}{unit}"
    text += ")"
    severity: Severity = "high" if relative is None or relative >= 1 else "medium"
    return Finding(
        description=text,
        severity=severity,
        value=MetricGrowthValue(
            metric=series.name,
            unit=series.unit,
            first=found.first,
            last=found.last,
            peak=found.peak,
            slope=found.slope,
            monotonic_share=found.monotonic_share,
            spearman=found.spearman,
        ),
    )


# --------------------------------------------------------------------------- saturation


def _current_window(series: Series, shift: Shift | None) -> list[float]:
    """The points that describe "now": after the split or shift, else the last quarter."""
    values = series.values
    start = series.split if series.split is not None else shift.index if shift else None
    if start is None:
        start = len(values) - max(1, len(values) // 4)
    return values[start:] or values


# A metric named like a percentage (`usage`, `utilization`) whose values pass this is a
# quantity (bytes, counts), not a share: even CPU percentages summed over cores stay below it.
MAX_PERCENT = 1_000.0


def _percent_scale(series: Series) -> float | None:
    """What 100 % is for a percentage-like metric (100 or 1), or None if it is not one."""
    name_tokens = set(tokens(series.name))
    unit = (series.unit or "").strip().lower()
    if name_tokens & (_GOOD_TOKENS | _ERROR_TOKENS) or is_absolute_unit(unit):
        return None
    if unit in {"%", "percent", "pct"} or name_tokens & {"percent", "pct"}:
        return 100.0
    if name_tokens & _PERCENT_TOKENS:
        top = max(series.values, default=0.0)
        if top > MAX_PERCENT:
            return None  # `SwapUsage` in bytes with no unit given: not a share of anything
        return 1.0 if top <= 1.0 else 100.0
    return None


def _qualifiers(name: str) -> set[str]:
    """The concepts that say which system a name belongs to (`db`, `redis`, `http`)."""
    return concepts(name) - _RESOURCES - LIMIT_TOKENS - _UNQUALIFYING


def _config_limit(series: Series, config: dict[str, Any]) -> tuple[str, float] | None:
    """The config key bounding this usage metric (rules below), or None.

    The key must hold a capacity of the metric's resource (connections, workers, file
    descriptors); when both name a system (`db_...` vs `redis.pool_size`) the systems must
    agree; among the rest the largest concept overlap wins, then the first key by name.
    """
    metric_concepts = concepts(series.name)
    if set(tokens(series.name)) & _NOT_USAGE or not metric_concepts & _RESOURCES:
        return None
    metric_systems = _qualifiers(series.name)
    best: tuple[int, str, float] | None = None
    for key in sorted(config):
        value = config[key]
        if not is_number(value) or value <= 0:
            continue
        if not is_capacity_key(key) & metric_concepts:
            continue
        key_systems = _qualifiers(key)
        if metric_systems and key_systems and not metric_systems & key_systems:
            continue
        overlap = len(concepts(key) & metric_concepts)
        if best is None or overlap > best[0]:
            best = (overlap, key, float(value))
    return (best[1], best[2]) if best else None


def _saturation(
    series: Series,
    shift: Shift | None,
    config: dict[str, Any],
    paired: tuple[str, float] | None = None,
) -> Finding | None:
    window = _current_window(series, shift)
    if not window:
        return None
    # What the window holds, not one spike in it (`departure.sustained`).
    peak = sustained(window, up=True)
    scale = _percent_scale(series)
    limit_key: str | None = None
    if scale is not None:
        limit = scale
    elif paired is not None:
        limit_key, limit = paired  # the limit series exported beside it (`limits`)
    else:
        found = _config_limit(series, config)
        if found is None:
            return None
        limit_key, limit = found
    utilization = peak / limit
    if not math.isfinite(utilization) or utilization < SATURATION_AT:
        return None
    if limit_key is None:
        shown = f"{fmt_num(peak)}{'%' if limit == 100 else ''}"
        text = f"{series.name} reached {shown}, {utilization:.0%} of its maximum"
    else:
        text = (
            f"{series.name} reached {fmt_num(peak)}, {utilization:.0%} of {limit_key} = "
            f"{fmt_num(limit)}"
        )
    return Finding(
        description=text,
        severity="high" if utilization >= 0.98 else "medium",
        value=MetricSaturationValue(
            metric=series.name,
            current=peak,
            limit=limit,
            limit_key=limit_key,
            utilization=round(utilization, 4),
            statistic="sustained level of the current window",
        ),
    )


# A free-space or credit series whose current window sits at or below this share of the
# series' own peak has run out, whatever its noise: a steady decline over the whole payload
# has no change point and a spread as wide as the fall, yet ends at zero all the same.
DEPLETED_AT = 0.05
# Free memory is left out: a kernel keeps it near zero on purpose (page cache).
_DEPLETABLE = frozenset({"free_disk", "credits"})


def _depleted(series: Series, measure: Measure, shift: Shift | None) -> Finding | None:
    """A free-space or credit series run down to `DEPLETED_AT` of its peak, or None."""
    if measure.kind not in _DEPLETABLE:
        return None
    window = _current_window(series, shift)
    peak = max(series.values)
    if not window or not math.isfinite(peak) or peak <= 0:
        return None
    low = sustained(window, up=False)
    if low > DEPLETED_AT * peak:
        return None
    unit = f" {series.unit}" if series.unit else ""
    return Finding(
        description=(
            f"{series.name} fell to {fmt_num(low)}{unit}, {low / peak:.1%} of its peak "
            f"{fmt_num(peak)}{unit}: nearly exhausted"
        ),
        severity="high",
        value=MetricSaturationValue(
            metric=series.name,
            current=low,
            limit=peak,
            limit_key=None,
            utilization=round(1.0 - low / peak, 4),
            statistic="sustained low of the current window against the series' peak",
            depleted=True,
        ),
    )


def _lone_value(series: Series) -> Finding | None:
    """An error-like metric above zero with no baseline to compare it with."""
    if not series.current_only or not series.values:
        return None
    if not set(tokens(series.name)) & _ERROR_TOKENS:
        return None
    current = median(series.values)
    if current <= 0:
        return None
    return Finding(
        description=(
            f"{series.name} is {fmt_num(current)}{_unit_text(series)} (no baseline to compare)"
        ),
        severity="medium",
        value=MetricLoneValue(metric=series.name, unit=series.unit, current=current),
    )


def metric_findings(
    series: Series,
    config: dict[str, Any],
    label: str = "the deploy",
    paired: tuple[str, float] | None = None,
) -> list[Finding]:
    """Every finding for one normalised metric, in a fixed order (`paired`: the limit series
    exported beside it and its value, `sre.extractors.limits`)."""
    if not series.values:
        return []
    shift, given = find_shift(series)
    grown = growth(series.values)
    findings: list[Finding] = []
    measure = series_measure(series.name, series.unit)
    # The noise model must agree: a shift inside what the series already did before (its
    # spikes, its quantisation) is no departure (`sre.extractors.departure`).
    moved = episode_departure(series, shift, measure)
    if moved is not None and not moved.significant and given:
        # An alert fires after the onset: the change may sit before the given split, where
        # the baseline already holds it. The series' own change point is then the onset.
        own = detected_shift(series)
        own_moved = episode_departure(series, own, measure)
        if own is not None and own_moved is not None and own_moved.significant:
            shift, given, moved = own, False, own_moved
    if moved is not None and not moved.significant:
        shift = None
    # A steady ramp has no single change point; its "shift" would only restate the growth.
    if shift is not None and moved is not None and (given or grown is None):
        findings.append(_shift_finding(series, shift, given, measure, moved, label))
    if grown is not None:
        findings.append(_growth_finding(series, grown))
    extras = (_saturation(series, shift, config, paired), _depleted(series, measure, shift))
    for extra in (
        *extras,
        _lone_value(series),
        expired_certificate(series),
        state_signature(series),
    ):
        if extra is not None:
            findings.append(extra)
    return findings


def _zero_filled(series: Series, start: datetime, split_at: datetime | None) -> Series:
    """Event counts begun after the evidence were zero until then (`shifts.zero_filled`)."""
    if series_measure(series.name, series.unit).kind not in ZERO_OMITTED_KINDS:
        return series
    return zero_filled(series, start, split_at)


def extract_metrics(incident: IncidentInput, window: Window | None = None) -> list[Finding]:
    """Metric findings for every metric of the incident, metrics sorted by name.

    Timestamped series split at the investigation window's split (`sre.extractors.window`)
    when it falls inside them.
    """
    window = window if window is not None else investigation_window(incident)
    config = flatten_config(incident.config_snapshot)
    findings: list[Finding] = []
    all_series = [
        normalise(n, incident.metrics[n], window.split_at) for n in sorted(incident.metrics)
    ]
    # Read before the zero fill below, which starts a new pod's counters with the evidence.
    deployed = incident.service if incident.deployed_at is not None else None
    findings.extend(replaced_pods(all_series, window.split_at, deployed))
    starts = [s.times[0] for s in all_series if s.times]
    if starts:
        all_series = [_zero_filled(s, min(starts), window.split_at) for s in all_series]
    paired = paired_limits((s.name, s.values) for s in all_series)
    for series in all_series:
        findings.extend(metric_findings(series, config, window.label, paired.get(series.name)))
    return findings

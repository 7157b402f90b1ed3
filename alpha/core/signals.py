"""A tiny, generic default signal extractor.

`basic_signals` knows nothing of any domain; verticals plug in their own extractor (the SRE
one lives in `sre.extractors`). It yields, in this order:

- ``log_errors``: error-looking log lines grouped by template (digits, hex ids and quoted
  strings masked), the most frequent first, at most `MAX_LOG_GROUPS`;
  value ``{template, count, example}``;
- ``metric``: one per metric, in name order; value ``{metric, baseline, current, ratio, unit}``
  (baseline None when unknown; ratio None when not computable);
- ``config_change``: one per dotted key whose value differs from `previous_config_snapshot`
  (only when it is given), in key order; value ``{key, old, new, change}``;
- ``commit``: one per recent commit, in payload order; value ``{sha, message, author, files}``.

Ids are `sig_001`, `sig_002`, ... in that order, so the same incident always gives the same
ids. Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from alpha.schemas import (
    IncidentInput,
    MetricPoints,
    MetricValue,
    MetricWindows,
    Severity,
    Signal,
)

__all__ = ["MAX_LOG_GROUPS", "basic_signals", "signal_id"]

MAX_LOG_GROUPS = 20
_MISSING: Any = object()  # a key absent from one snapshot

# Cheap substring screen first (a regex alone costs seconds on 1,000,000 lines), then the
# precise word-level check on the few candidates. Both run on the lower-cased line.
_ERROR_HINTS = ("err", "exception", "fatal", "crit", "panic", "traceback")
_ERROR_WORD = re.compile(r"errors?\b|exception\b|\b(?:err|fatal|crit|critical|panic|traceback)\b")
_LEADING_TIMESTAMP = re.compile(
    r"^\s*\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]?\s*"
)
_MASKS = (
    (re.compile(r"\"[^\"]*\"|'[^']*'"), "<STR>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b"), "<HEX>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<N>"),
)


def signal_id(number: int) -> str:
    """The id of the `number`-th signal (1-based): `sig_001`, ..., `sig_1000`."""
    return f"sig_{number:03d}"


def basic_signals(incident: IncidentInput) -> list[Signal]:
    """Extract generic signals from an incident (see the module docstring)."""
    drafts = [
        *_log_signals(incident.logs),
        *_metric_signals(incident),
        *_config_signals(incident),
        *_commit_signals(incident),
    ]
    return [draft.model_copy(update={"id": signal_id(n)}) for n, draft in enumerate(drafts, 1)]


def _is_error_line(line: str) -> bool:
    low = line.lower()
    return any(hint in low for hint in _ERROR_HINTS) and _ERROR_WORD.search(low) is not None


def _template(line: str) -> str:
    text = _LEADING_TIMESTAMP.sub("", line).strip()
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text[:300]


def _log_signals(logs: list[str]) -> list[Signal]:
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for line in logs:
        if not _is_error_line(line):
            continue
        template = _template(line)
        counts[template] = counts.get(template, 0) + 1
        examples.setdefault(template, line[:500])
    # dicts keep first-seen order, so equal counts stay in order of appearance
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:MAX_LOG_GROUPS]
    return [
        Signal(
            id="draft",
            type="log_errors",
            description=f"{count} error line(s) like: {template[:120]}",
            value={"template": template, "count": count, "example": examples[template]},
            severity="high" if count >= 10 else "medium",
            source="logs",
        )
        for template, count in ranked
    ]


def _metric_signals(incident: IncidentInput) -> list[Signal]:
    signals = []
    for name in sorted(incident.metrics):
        baseline, current, unit = _windows(incident.metrics[name], incident.deployed_at)
        ratio = current / baseline if baseline not in (None, 0.0) and current is not None else None
        signals.append(
            Signal(
                id="draft",
                type="metric",
                description=_metric_text(name, baseline, current, ratio, unit),
                value={
                    "metric": name,
                    "baseline": baseline,
                    "current": current,
                    "ratio": ratio,
                    "unit": unit,
                },
                severity=_ratio_severity(ratio),
                source="metrics",
            )
        )
    return signals


def _windows(
    value: MetricValue, deployed_at: datetime | None
) -> tuple[float | None, float | None, str | None]:
    """(baseline, current, unit) of one metric; medians of windows."""
    if isinstance(value, MetricWindows):
        return _median(value.baseline), _median(value.current), value.unit
    if isinstance(value, MetricPoints):
        points = sorted(value.points, key=lambda p: p[0])
        if deployed_at is not None and _comparable(points, deployed_at):
            before = [v for t, v in points if t < deployed_at]
            after = [v for t, v in points if t >= deployed_at]
        else:
            half = len(points) // 2
            before, after = [v for _, v in points[:half]], [v for _, v in points[half:]]
        return _median(before), _median(after), value.unit
    if isinstance(value, list):
        half = len(value) // 2
        return _median(value[:half]), _median(value[half:]), None
    return None, float(value), None


def _comparable(points: list[tuple[datetime, float]], moment: datetime) -> bool:
    # naive and aware datetimes cannot be compared; fall back to halves then
    return all((t.tzinfo is None) == (moment.tzinfo is None) for t, _ in points)


def _median(values: float | list[float] | None) -> float | None:
    if values is None:
        return None
    if isinstance(values, list):
        return float(statistics.median(values)) if values else None
    return float(values)


def _metric_text(
    name: str, baseline: float | None, current: float | None, ratio: float | None, unit: str | None
) -> str:
    suffix = f" {unit}" if unit else ""
    if baseline is None:
        return f"{name} is {current:g}{suffix}" if current is not None else f"{name}: no values"
    change = f" (x{ratio:.2f})" if ratio is not None else ""
    return f"{name} went from {baseline:g} to {current:g}{suffix}{change}"


def _ratio_severity(ratio: float | None) -> Severity:
    if ratio is None:
        return "low"
    spread = max(ratio, 1 / ratio) if ratio > 0 else float("inf")
    if spread >= 2.0:
        return "high"
    return "medium" if spread >= 1.2 else "low"


def _config_signals(incident: IncidentInput) -> list[Signal]:
    if incident.previous_config_snapshot is None:
        return []
    new = _flatten(incident.config_snapshot)
    old = _flatten(incident.previous_config_snapshot)
    signals = []
    for key in sorted(new.keys() | old.keys()):
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        change = "added" if before is _MISSING else "removed" if after is _MISSING else "modified"
        signals.append(
            Signal(
                id="draft",
                type="config_change",
                description=f"config {key} {change}: {before!r} -> {after!r}",
                value={
                    "key": key,
                    "old": None if before is _MISSING else before,
                    "new": None if after is _MISSING else after,
                    "change": change,
                },
                severity="medium",
                source="config",
            )
        )
    return signals


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _commit_signals(incident: IncidentInput) -> list[Signal]:
    return [
        Signal(
            id="draft",
            type="commit",
            description=f"commit {commit.sha[:12]}: {_headline(commit.message)}",
            value={
                "sha": commit.sha,
                "message": commit.message,
                "author": commit.author,
                "files": [f.filename for f in commit.file_objects()],
            },
            severity="low",
            source="commits",
        )
        for commit in incident.recent_commits
    ]


def _headline(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0][:120] if lines else ""

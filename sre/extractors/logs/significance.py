"""When a template's change between the baseline and the incident window is significant.

Counts are compared as Poisson rates. With `b` records in a baseline of length `T_b`
and `a` in an incident window of length `T_a`, the count expected after the deploy is
`mu = b * T_a / T_b` (or scaled by total record counts when the lengths are unknown).
The evidence against "nothing changed" is the Poisson log-likelihood ratio
`a * ln(a / mu) - (a - mu)`; a rate jump needs both a large ratio and a large LLR, so
ten lines becoming twenty does not fire while ten becoming a hundred does.
A template never seen before the deploy is compared with half a line of baseline
(a pseudo-count), so a new template needs a few lines when the baseline is short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sre.signals.values import SplitBy, TemplateReason

# Tuning: the values below were chosen on general grounds (p ~ 1e-5 for jumps), not fitted
# to any scenario. `MIN_*` counts keep one-off lines from firing.
JUMP_MIN_RATIO = 2.0
JUMP_MIN_COUNT = 5
JUMP_MIN_LLR = 10.0
DROP_MIN_EXPECTED = 10.0
DROP_MAX_RATIO = 0.25
NEW_MIN_COUNT = 3
NEW_ERROR_MIN_COUNT = 1
FREQUENT_MIN_COUNT = 3
PSEUDO_COUNT = 0.5


@dataclass(frozen=True, slots=True)
class Windows:
    """The two windows being compared.

    Attributes:
        has_baseline: False when there is no deploy time, no timestamps, or no line before
            the deploy: everything is then the incident window.
        minutes_before: Baseline length in minutes, None when unknown.
        minutes_after: Incident window length in minutes, None when unknown.
        records_before: Records in the baseline.
        records_after: Records in the incident window.
        label: What separates the windows, for descriptions (`the deploy`).
        split_by: `deployed_at` or `incident_started_at`: the payload field used.
    """

    has_baseline: bool
    minutes_before: float | None
    minutes_after: float | None
    records_before: int
    records_after: int
    label: str = "the deploy"
    split_by: SplitBy = "deployed_at"

    def scale(self) -> float | None:
        """Factor turning a baseline count into the count expected after the deploy."""
        if self.minutes_before and self.minutes_after:
            return self.minutes_after / self.minutes_before
        if self.records_before and self.records_after:
            return self.records_after / self.records_before
        return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a template is reported (`reason` is None when it is not) and how strongly."""

    reason: TemplateReason | None
    score: float
    is_new: bool
    rate_before: float | None
    rate_after: float | None
    rate_ratio: float | None


def poisson_llr(observed: float, expected: float) -> float:
    """Poisson log-likelihood ratio of `observed` against `expected` (0 when equal)."""
    if expected <= 0:
        return 0.0
    if observed <= 0:
        return expected
    return observed * math.log(observed / expected) - (observed - expected)


def _rate(count: int, minutes: float | None) -> float | None:
    return round(count / minutes, 4) if minutes else None


def judge(before: int, after: int, kind: str, windows: Windows) -> Verdict:
    """Classify one template's counts: `new`, `rate_jump`, `rate_drop`, `frequent` or None.

    Args:
        before: Records of the template in the baseline.
        after: Records of the template in the incident window.
        kind: `error` (ERROR/FATAL level or an exception), `warn`, or `other`.
        windows: The two windows.
    """
    rb = _rate(before, windows.minutes_before) if windows.has_baseline else None
    ra = _rate(after, windows.minutes_after)
    ratio = round(ra / rb, 3) if (ra is not None and rb) else None
    scale = windows.scale()
    if not windows.has_baseline or scale is None:
        # Without a baseline only errors and warnings are worth reporting.
        frequent = (kind == "error" and after >= 1) or (
            kind == "warn" and after >= FREQUENT_MIN_COUNT
        )
        reason: TemplateReason | None = "frequent" if frequent else None
        return Verdict(reason, float(after), False, rb, ra, ratio)
    if before == 0:
        expected = PSEUDO_COUNT * scale
        llr = poisson_llr(after, expected)
        needed = NEW_ERROR_MIN_COUNT if kind == "error" else NEW_MIN_COUNT
        fires = after >= needed and after > expected
        return Verdict("new" if fires else None, llr + after, after > 0, rb, ra, ratio)
    expected = before * scale
    llr = poisson_llr(after, expected)
    if after >= JUMP_MIN_COUNT and after >= JUMP_MIN_RATIO * expected and llr >= JUMP_MIN_LLR:
        return Verdict("rate_jump", llr, False, rb, ra, ratio)
    if expected >= DROP_MIN_EXPECTED and after <= DROP_MAX_RATIO * expected and llr >= JUMP_MIN_LLR:
        return Verdict("rate_drop", llr / 2, False, rb, ra, ratio)
    return Verdict(None, llr, False, rb, ra, ratio)

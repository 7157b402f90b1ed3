"""How far a metric's incident window departs from its own baseline: a noise model.

One question per series: is what happened after the split outside what this series normally
does, by an amount that matters? Robust statistics over the baseline answer it, in the
spirit of BARO (robust z over the baseline), with three guards BARO lacks:

Noise scale (`spread`)
    The largest of: the MAD of the baseline (as a standard deviation); half the baseline's
    range (spikes the series already had before are normal for it; of `LONG_BASELINE` points
    or more, the 5th-95th percentile range, so a rare outlier is not); the series'
    quantisation step (a counter that moves by one tick moved by noise); 5 % of the
    baseline's level (no real system is steadier than that); 1 point for a percentage.
Sustained level
    The incident window's level is not its single most extreme point but one that recurs:
    the second most extreme point of 3-7 points, the upper (or lower) quartile of 8 or
    more; 1-2 points are taken as they are. One spike in the incident window is not a
    departure.
Effect size
    The move relative to the series' scale: for a percentage, in points of its 100 %; for
    anything else, relative to the larger of the two levels (a move from zero is 1.0).
    Below `MIN_EFFECT` (20 %, or 5 points of a percentage) it is no departure, whatever
    the z: a near-idle series that doubles from 2 to 4 bytes/s is still near idle.

`score = weight(kind) * direction_factor * log1p(min(z, Z_CAP)) * min(1, effect / FULL_EFFECT)`:
saturating in z (a z of 50 is not ten times a z of 5, and beyond `Z_CAP` a series that was
nearly constant gains nothing more from its tiny spread), full only for moves of at least
`FULL_EFFECT` (half the scale), and discounted when the series moved in its harmless
direction (`HARMLESS_DIRECTION`). Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sre.extractors.measures import Measure
from sre.extractors.stats import MAD_TO_SIGMA, median

__all__ = [
    "FULL_EFFECT",
    "HARMLESS_DIRECTION",
    "MIN_EFFECT",
    "MIN_PERCENT_POINTS",
    "MIN_Z",
    "Z_CAP",
    "Departure",
    "departure",
    "sustained",
]

MIN_Z = 3.0
Z_CAP = 100.0
MIN_EFFECT = 0.2
MIN_PERCENT_POINTS = 5.0
FULL_EFFECT = 0.5
HARMLESS_DIRECTION = 0.3
RELATIVE_NOISE = 0.05
LONG_BASELINE = 20
# How far off the grid (in steps) a value of a quantised series may sit (float rounding).
QUANTUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class Departure:
    """A series' incident window compared with its baseline.

    Attributes:
        direction: `up` or `down`.
        baseline: The baseline's median.
        level: The incident window's sustained level (see the module docstring).
        spread: The noise scale used.
        z: (level - baseline) / spread, positive in `direction`.
        effect: The move relative to the series' scale (0..1 for most series).
        onset: Index (in the whole series) of the first incident point beyond the noise
            band in `direction`, or None when none is.
        bad: Whether `direction` is the harmful one for this kind of metric.
        score: The strength of this departure as evidence (see the module docstring).
    """

    direction: str
    baseline: float
    level: float
    spread: float
    z: float
    effect: float
    onset: int | None
    bad: bool
    score: float

    @property
    def significant(self) -> bool:
        """Large against the noise and large enough to matter."""
        return self.z >= MIN_Z and self.effect > 0


def sustained(values: Sequence[float], up: bool) -> float:
    """The level a window holds rather than one extreme point of it (see the module
    docstring): the point itself for 1-2 points, the second most extreme of 3-7, the upper
    (or lower) quartile of 8 or more."""
    ordered = sorted(values, reverse=up)
    n = len(ordered)
    if n <= 2:
        return ordered[0]
    if n < 8:
        return ordered[1]
    return ordered[n // 4]


def _quantum(values: Sequence[float]) -> float:
    """The step a quantised series moves by (a counter's tick), or 0 when it has none: the
    smallest gap between its distinct values, provided every value sits on that grid. A
    level shift caught mid-bucket (0, 0.186, 0.31) has a smallest gap but no grid."""
    distinct = sorted(set(values))
    gaps = [b - a for a, b in zip(distinct, distinct[1:], strict=False) if b - a > 0]
    if len(gaps) < 2:
        return 0.0
    step = min(gaps)
    for value in distinct:
        ticks = (value - distinct[0]) / step
        # A subnormal step makes the count of ticks overflow: that is no grid.
        if not math.isfinite(ticks) or abs(ticks - round(ticks)) > QUANTUM_TOLERANCE:
            return 0.0
    return step


def _half_range(baseline: Sequence[float]) -> float:
    """Half the spread of what the baseline did: its whole range for a short baseline, the
    range between its 5th and 95th percentiles for a long one (`LONG_BASELINE` points or
    more), where a rare outlier is no part of its normal behaviour."""
    if len(baseline) < 2:
        return 0.0
    ordered = sorted(baseline)
    if len(ordered) < LONG_BASELINE:
        return (ordered[-1] - ordered[0]) / 2.0
    low = ordered[int(0.05 * (len(ordered) - 1))]
    high = ordered[int(round(0.95 * (len(ordered) - 1)))]
    return (high - low) / 2.0


def _spread(baseline: Sequence[float], everything: Sequence[float], percent: float | None) -> float:
    centre = median(baseline)
    sigma = 0.0
    if len(baseline) >= 3:
        sigma = MAD_TO_SIGMA * median([abs(v - centre) for v in baseline])
    half_range = _half_range(baseline)
    floor = RELATIVE_NOISE * abs(centre)
    if percent is not None:
        floor = max(floor, percent / 100.0)
    return max(sigma, half_range, _quantum(everything), floor, 1e-12)


def _effect(baseline: float, level: float, percent: float | None) -> float:
    moved = abs(level - baseline)
    if percent is not None:
        points = moved / percent * 100.0
        return 0.0 if points < MIN_PERCENT_POINTS else points / 100.0
    scale = max(abs(baseline), abs(level))
    relative = moved / scale if scale > 0 else 0.0
    return 0.0 if relative < MIN_EFFECT else relative


def departure(values: Sequence[float], split: int, measure: Measure) -> Departure | None:
    """How the points from `split` on depart from the points before it, or None when one
    side is empty.

    Both directions are measured; the stronger by score is returned (a harmless-direction
    move is reported with `bad=False` and a discounted score).
    """
    base, current = list(values[:split]), list(values[split:])
    if not base or not current:
        return None
    percent = measure.percent
    if percent == 100.0 and max(abs(v) for v in values) <= 1.0:
        percent = 1.0  # a ratio in [0, 1] named as a percentage
    centre = median(base)
    spread = _spread(base, values, percent)
    best: Departure | None = None
    for direction in ("up", "down"):
        level = sustained(current, up=direction == "up")
        moved = level - centre if direction == "up" else centre - level
        if moved <= 0:
            continue
        z = moved / spread
        effect = _effect(centre, level, percent)
        bad = measure.bad in ("both", direction)
        factor = 1.0 if bad else HARMLESS_DIRECTION
        score = measure.weight * factor * math.log1p(min(z, Z_CAP)) * min(1.0, effect / FULL_EFFECT)
        onset = _onset(values, split, centre, spread, direction)
        found = Departure(
            direction,
            centre,
            level,
            spread,
            round(z, 3),
            round(effect, 4),
            onset,
            bad,
            round(score, 4),
        )
        if best is None or found.score > best.score:
            best = found
    return best


def _onset(
    values: Sequence[float], split: int, centre: float, spread: float, direction: str
) -> int | None:
    band = MIN_Z * spread
    for index in range(split, len(values)):
        moved = values[index] - centre if direction == "up" else centre - values[index]
        if moved > band:
            return index
    return None

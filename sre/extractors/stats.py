"""Robust statistics for metric series: medians, MAD, ranks and a change-point scan.

All functions are pure and deterministic; ties are broken by position, never by hashing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Scale factor that makes the MAD a consistent estimator of a normal standard deviation.
MAD_TO_SIGMA = 1.4826
_NEAR_BEST = 0.8
_MAX_REFINE = 64


# Beyond this magnitude a metric value is garbage, and sums or ratios of it could overflow.
MAX_MAGNITUDE = 1e150


def finite(values: Sequence[float]) -> list[float]:
    """The values without NaN, infinities and absurd magnitudes (JSON producers emit them)."""
    return [float(v) for v in values if math.isfinite(v) and abs(v) <= MAX_MAGNITUDE]


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence.

    Raises:
        ValueError: when `values` is empty.
    """
    if not values:
        raise ValueError("median of an empty sequence")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return ordered[mid - 1] / 2.0 + ordered[mid] / 2.0


def pooled_scale(segments: Sequence[Sequence[float]]) -> float:
    """A robust noise scale: MAD of every point around its own segment's median, as sigma.

    Pooling both sides of a split estimates the noise without letting the level shift
    itself inflate it.
    """
    residuals: list[float] = []
    for segment in segments:
        if segment:
            centre = median(segment)
            residuals.extend(abs(v - centre) for v in segment)
    if not residuals:
        return 0.0
    return MAD_TO_SIGMA * median(residuals)


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of the values, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2.0 + 1.0
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def change_point(values: Sequence[float], min_segment: int) -> int | None:
    """The index where the level of the series most plausibly shifts.

    Each split is scored by the standardised rank-sum (Mann-Whitney) statistic of the
    points before it, `|S_k - k(n+1)/2| / sqrt(k(n-k)(n+1)/12)`. Ranks keep a single
    outlier from pulling the split; standardising keeps a shift near the end of the series
    from losing to a middle split (the bias of Pettitt's unscaled statistic).

    Args:
        values: the series, oldest first.
        min_segment: the fewest points allowed on either side of the split.

    Returns:
        The index of the first point after the shift (earliest on ties), or None when the
        series is too short or constant.
    """
    n = len(values)
    if min_segment < 1 or n < 2 * min_segment:
        return None
    ranks = average_ranks(values)
    scored: list[tuple[float, int]] = []
    running = 0.0
    for k in range(1, n):
        running += ranks[k - 1]
        if k < min_segment or n - k < min_segment:
            continue
        spread = math.sqrt(k * (n - k) * (n + 1) / 12.0)
        scored.append((abs(running - k * (n + 1) / 2.0) / spread, k))
    best = max((score for score, _ in scored), default=0.0)
    if best <= 0:
        return None
    # Ranks cannot tell a baseline's highest points from the shifted level, so the rank
    # score may stop a few points early; among near-best splits keep the one whose two
    # medians fit the series best (least absolute deviation), earliest on ties.
    near = sorted((k for score, k in scored if score >= _NEAR_BEST * best))[:_MAX_REFINE]
    return min(near, key=lambda k: (_l1_cost(values[:k]) + _l1_cost(values[k:]), k))


def _l1_cost(segment: Sequence[float]) -> float:
    centre = median(segment)
    return sum(abs(v - centre) for v in segment)


def separation(before: Sequence[float], after: Sequence[float]) -> float:
    """P(a point after > a point before), ties counting half (the AUC of the split)."""
    if not before or not after:
        return 0.5
    ranks = average_ranks([*before, *after])
    after_rank_sum = sum(ranks[len(before) :])
    m = len(after)
    u_after = after_rank_sum - m * (m + 1) / 2.0
    return u_after / (m * len(before))

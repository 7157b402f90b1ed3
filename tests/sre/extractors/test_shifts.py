"""Level shifts that end inside the series: measured on their episode alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sre.extractors.shifts import (
    Series,
    detected_shift,
    episode_end,
    find_shift,
    shift_at,
    zero_filled,
)


def _wobble(level: float, n: int, seed: int) -> list[float]:
    """`n` points around `level`, a fixed wobble of a few percent."""
    return [level * (1 + 0.04 * (((i * 7 + seed) % 5) - 2)) for i in range(n)]


# A CPU burn of 14 points after 43 quiet ones, then 7 recovered points.
BURN = _wobble(0.2, 43, 1) + _wobble(1.9, 14, 2) + _wobble(0.2, 7, 3)


def test_a_transient_shift_ends_where_the_series_returns() -> None:
    """The episode ends at the first recovered point."""
    assert episode_end(BURN, 43) == 57


def test_a_transient_shift_is_found_though_its_recovery_blurs_the_split() -> None:
    """Counting the recovered points as "after" would blur the move (P = 0.83 < 0.9);
    measured on its episode the burn is a clear shift."""
    shift = detected_shift(Series("cpu", None, BURN, None, None, False, False))
    assert shift is not None
    assert shift.index == 43 and shift.end == 57
    assert shift.current > 1.5 and shift.baseline < 0.3


def test_a_lasting_shift_runs_to_the_end() -> None:
    """A shift that never recovers has no episode end inside the series."""
    values = _wobble(0.2, 40, 1) + _wobble(1.9, 24, 2)
    assert episode_end(values, 40) == len(values)


def test_a_partial_return_keeps_the_episode_open() -> None:
    """Falling back less than half way to the baseline is still the incident."""
    values = _wobble(0.2, 40, 1) + _wobble(1.9, 12, 2) + _wobble(1.4, 12, 3)
    assert episode_end(values, 40) == len(values)


def test_a_two_point_blip_is_no_episode() -> None:
    """An episode keeps at least three points: a blip is the series' own wobble."""
    values = [1.0, 1.1, 0.9, 1.0, 5.0, 5.1, 1.0, 0.9, 1.1]
    assert episode_end(values, 4) == len(values)


def test_a_move_over_before_the_incident_is_the_baselines_wobble() -> None:
    """With a given split, an episode must reach past it by a segment: one that ends
    just after the split is not the incident."""
    values = [1.0, 1.1, 0.9, 1.0, 1.05, 3.0, 3.1, 2.9, 1.0, 1.1, 0.9, 1.0]
    assert episode_end(values, 5) == 8
    assert episode_end(values, 5, incident=7) == len(values)
    assert shift_at(values, 5, detected=True, incident=7) is None


def test_a_count_series_begun_late_was_zero_until_then() -> None:
    """CloudWatch writes a throttle count only for minutes that had one: a series whose
    first point comes after the rest of the evidence began is filled with zeros back to
    that start, at its own step, and split again."""
    t0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    times = [t0 + timedelta(minutes=27 + i) for i in range(8)]
    late = Series(
        "DynamoDB/sessions/ThrottledRequests", "Count", [900.0] * 8, times, None, False, False
    )
    filled = zero_filled(late, t0, t0 + timedelta(minutes=27))
    assert filled.values == [0.0] * 27 + [900.0] * 8
    assert filled.times is not None and filled.times[0] == t0
    assert filled.split == 27 and filled.given_split
    shift, given = find_shift(filled)
    assert given and shift is not None and (shift.baseline, shift.current) == (0.0, 900.0)


def test_a_series_that_begins_with_the_evidence_is_left_alone() -> None:
    """Nothing is filled when the series starts with the rest, or has no step to fill at."""
    t0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    whole = Series("x", None, [1.0, 2.0], [t0, t0 + timedelta(minutes=1)], None, False, False)
    single = Series("y", None, [5.0], [t0 + timedelta(minutes=9)], None, False, False)
    assert zero_filled(whole, t0, None) is whole
    assert zero_filled(single, t0, None) is single

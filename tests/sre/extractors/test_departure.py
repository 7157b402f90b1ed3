"""The metric noise model: departures against the series' own baseline, at the boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre.extractors.departure import (
    MIN_EFFECT,
    MIN_PERCENT_POINTS,
    MIN_Z,
    Z_CAP,
    departure,
)
from sre.extractors.measures import measure_of

CPU = measure_of("CpuUsageRate(%)", "%")
LATENCY = measure_of("latency_p99_ms", "ms")
CLIENT = measure_of("PodClientLatencyP90(s)", "s")
BYTES = measure_of("NetworkReceiveBytes", "B/s")
FREE = measure_of("FreeStorageSpace", "Bytes")


def test_cpu_from_one_to_a_hundred_percent_is_a_strong_departure() -> None:
    """A CPU series leaving its ~1 % baseline for ~100 % departs far, in its bad direction."""
    found = departure([0.9, 0.6, 0.8, 1.0, 1.2, 1.7, 99.9, 100.0, 100.1], 5, CPU)
    assert found is not None and found.significant and found.bad
    assert found.direction == "up" and found.z > 50 and found.effect > 0.9


def test_a_level_shift_caught_mid_bucket_is_not_quantisation() -> None:
    """An error ratio at 0, one transitional point (0.186), then 0.31: its values sit on no
    grid, so the gap 0.124 is no noise scale and the jump departs strongly."""
    errors = measure_of("error_ratio", "ratio")
    found = departure([0.0] * 29 + [0.186] + [0.31] * 22, 30, errors)
    assert found is not None and found.significant and found.z >= 100


def test_a_counter_moving_by_one_tick_is_noise() -> None:
    """A counter on a grid of 1 (0, 1, 2) now at 2 moved two ticks: its tick is the noise
    scale (z 2), not the baseline's tighter percentile range (which would make it z 4)."""
    errors = measure_of("errors_total", None)
    found = departure([0.0] * 28 + [1.0, 2.0, 2.0, 2.0], 30, errors)
    assert found is not None and found.spread == 1.0 and not found.significant


def test_a_near_idle_series_outranks_nothing() -> None:
    """Bytes/s moving 968 -> 1316 on a noisy baseline is no departure at all."""
    found = departure([1153.0, 858.0, 968.0, 1200.0, 1316.0, 1290.0, 1310.0], 4, BYTES)
    cpu = departure([0.4, 0.5, 0.3, 0.4, 85.0, 84.0, 86.0], 4, CPU)
    assert found is not None and not found.significant
    assert cpu is not None and cpu.significant and cpu.score > found.score


def test_spikes_seen_in_the_baseline_are_normal_for_the_series() -> None:
    """A client latency that already spiked to 19 s before is not departing at 28 s."""
    found = departure([0.005, 0.005, 0.005, 0.005, 19.0, 19.0, 0.005, 28.0, 28.0], 5, CLIENT)
    assert found is not None and not found.significant


def test_a_single_spike_in_the_incident_window_is_not_sustained() -> None:
    """One extreme point among four current points is not the window's level."""
    found = departure([0.005] * 5 + [0.005, 0.005, 0.005, 390.0], 5, CLIENT)
    assert found is None or not found.significant
    two = departure([0.005] * 5 + [0.005, 0.005, 390.0, 390.0], 5, CLIENT)
    assert two is not None and two.significant


def test_free_storage_falling_is_the_bad_direction() -> None:
    """Free storage falling to an eighth departs in its bad direction."""
    found = departure([800.0, 810.0, 790.0, 805.0, 300.0, 150.0, 100.0], 4, FREE)
    assert found is not None and found.direction == "down" and found.bad and found.significant


def test_harmless_direction_is_discounted() -> None:
    """Latency falling is reported as harmless, with a lower score than the same rise."""
    down = departure([100.0, 102.0, 98.0, 101.0, 20.0, 21.0, 19.0], 4, LATENCY)
    up = departure([100.0, 102.0, 98.0, 101.0, 500.0, 510.0, 490.0], 4, LATENCY)
    assert down is not None and up is not None and not down.bad and up.bad
    assert down.score < up.score


def test_effect_boundary_for_percentages() -> None:
    """A percentage must move at least MIN_PERCENT_POINTS points: just below is nothing."""
    flat = [50.0, 50.0, 50.0, 50.0]
    below = departure([*flat, 50.0 + MIN_PERCENT_POINTS - 0.1], 4, CPU)
    above = departure([*flat, 50.0 + MIN_PERCENT_POINTS + 0.1], 4, CPU)
    assert below is not None and below.effect == 0 and not below.significant
    assert above is not None and above.effect > 0


def test_effect_boundary_for_other_units() -> None:
    """Elsewhere the move must be at least MIN_EFFECT of the larger level."""
    flat = [100.0, 100.0, 100.0, 100.0]
    just_below = 100.0 / (1 - MIN_EFFECT) - 0.5  # relative move a little under MIN_EFFECT
    just_above = 100.0 / (1 - MIN_EFFECT) + 0.5
    below = departure([*flat, just_below], 4, LATENCY)
    above = departure([*flat, just_above], 4, LATENCY)
    assert below is not None and below.effect == 0
    assert above is not None and above.effect >= MIN_EFFECT


def test_z_boundary() -> None:
    """A departure needs z >= MIN_Z: a move of just under 3 noise scales is not significant."""
    base = [10.0, 14.0, 6.0, 10.0, 12.0, 8.0]  # half range 4 = the noise scale
    below = departure([*base, 10.0 + 4 * (MIN_Z - 0.1)], 6, LATENCY)
    above = departure([*base, 10.0 + 4 * (MIN_Z + 0.5)], 6, LATENCY)
    assert below is not None and not below.significant
    assert above is not None and above.z >= MIN_Z


def test_score_saturates_beyond_the_z_cap() -> None:
    """A nearly constant series gains nothing from z beyond Z_CAP."""
    capped = departure([1.0, 1.0, 1.0, 1.0, 1000.0, 1000.0], 4, LATENCY)
    huge = departure([1.0, 1.0, 1.0, 1.0, 100000.0, 100000.0], 4, LATENCY)
    assert capped is not None and huge is not None and capped.z > Z_CAP
    assert capped.score == pytest.approx(huge.score)


def test_an_empty_side_gives_no_departure() -> None:
    """Without a baseline or a current window there is nothing to compare."""
    assert departure([1.0, 2.0], 0, LATENCY) is None
    assert departure([1.0, 2.0], 2, LATENCY) is None


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40),
    st.integers(1, 39),
)
def test_departure_invariants(values: list[float], split: int) -> None:
    """For any series: z and effect are non-negative, the onset lies in the incident window,
    and `significant` means z >= MIN_Z with a non-zero effect."""
    if split >= len(values):
        split = len(values) - 1
    found = departure(values, split, LATENCY)
    if found is None:
        return
    assert found.z >= 0 and found.effect >= 0 and found.spread > 0
    assert found.onset is None or split <= found.onset < len(values)
    assert found.significant == (found.z >= MIN_Z and found.effect > 0)


def test_a_subnormal_gap_between_values_is_no_grid() -> None:
    """Values a subnormal apart (1.0, 0.0, 2.2e-309): the step's tick count overflows; the
    series has no quantisation step, and nothing raises (found by hypothesis)."""
    connections = measure_of("db_connections_in_use", None)
    for split in (1, 2):
        departure([1.0, 0.0, 2.225073858507203e-309], split, connections)

"""The metric detectors' thresholds, pinned at their boundaries with literal numbers.

Each test builds a series just below and just above one threshold and names the threshold's
value as a literal, never the module's constant: a test that reads the constant moves with
it and pins nothing, so changing `MIN_ROBUST_Z` from 3.5 to 7.0 must fail here.
"""

from __future__ import annotations

import math

import pytest

from alpha.schemas import IncidentInput
from sre.extractors.departure import departure
from sre.extractors.measures import measure_of
from sre.extractors.metrics import extract_metrics, growth, metric_findings
from sre.extractors.shifts import Series, shift_at
from sre.extractors.stats import separation

LATENCY = measure_of("latency_p99_ms", "ms")
CPU = measure_of("CpuUsageRate(%)", "%")
# A quiet series: about 1 % of noise around 100.
QUIET = [100.0, 101.0, 99.0, 100.0, 102.0, 98.0, 100.0, 101.0, 99.0, 100.0]


def _alternating(centre: float, amplitude: float, n: int) -> list[float]:
    """centre -/+ amplitude, alternating: a noise whose MAD is exactly `amplitude`."""
    return [centre + (amplitude if i % 2 else -amplitude) for i in range(n)]


def _current_only(name: str, value: float) -> Series:
    return Series(name, None, [value], None, None, False, True)


# --------------------------------------------------------------------------- level shifts


def test_robust_z_threshold_is_3_5() -> None:
    """A shift of z 3.54 is reported and one of z 3.46 is not (noise MAD 8, as sigma 11.86)."""
    noise_sigma = 8 * 1.4826
    below = _alternating(100, 8, 10) + _alternating(141, 8, 10)
    above = _alternating(100, 8, 10) + _alternating(142, 8, 10)
    assert 41 / noise_sigma < 3.5 < 42 / noise_sigma
    assert shift_at(below, 10, detected=False) is None
    found = shift_at(above, 10, detected=False)
    assert found is not None and found.robust_z == pytest.approx(3.54, abs=0.01)


def test_relative_change_threshold_is_25_percent() -> None:
    """Without noise, +/-24 % is no shift and +/-26 % is one (the z floor is far above)."""
    assert shift_at([100.0] * 10 + [124.0] * 10, 10, detected=False) is None
    found = shift_at([100.0] * 10 + [126.0] * 10, 10, detected=False)
    assert found is not None and found.ratio == pytest.approx(1.26)
    assert shift_at([100.0] * 10 + [74.0] * 10, 10, detected=False) is not None
    assert shift_at([100.0] * 10 + [76.0] * 10, 10, detected=False) is None


def test_a_30_percent_move_on_a_quiet_series_is_an_anomaly() -> None:
    """A quiet latency moving +30 % after the deploy is reported; +20 % is not."""

    def anomalies(current: list[float]) -> list[str]:
        incident = IncidentInput.model_validate(
            {
                "deployment_id": "d-1",
                "logs": [],
                "metrics": {"latency_p99_ms": {"baseline": QUIET, "current": current}},
                "recent_commits": [],
                "config_snapshot": {},
            }
        )
        return [f.description for f in extract_metrics(incident) if f.type == "metric_anomaly"]

    moved = anomalies([v * 1.3 for v in QUIET])
    assert moved == ["latency_p99_ms rose from 100 ms to 130 ms (x1.3) in the incident window"]
    assert anomalies([v * 1.2 for v in QUIET]) == []


def test_separation_threshold_at_a_given_split_is_0_8() -> None:
    """At the deploy's split, sides separated at AUC 0.85 shift and at 0.75 do not."""
    after = [150.0] * 20
    mixed = [100.0] * 17 + [200.0] * 3
    more_mixed = [100.0] * 15 + [200.0] * 5
    assert separation(mixed, after) == pytest.approx(0.85)
    assert separation(more_mixed, after) == pytest.approx(0.75)
    assert shift_at(mixed + after, 20, detected=False) is not None
    assert shift_at(more_mixed + after, 20, detected=False) is None


def test_separation_threshold_at_a_detected_change_point_is_0_9() -> None:
    """At a detected change point the sides must separate at AUC 0.9: 0.95 shifts, 0.85 not."""
    after = [150.0] * 20
    barely = [100.0] * 19 + [200.0]
    mixed = [100.0] * 17 + [200.0] * 3
    assert separation(barely, after) == pytest.approx(0.95)
    assert shift_at(barely + after, 20, detected=True) is not None
    assert shift_at(mixed + after, 20, detected=True) is None


# --------------------------------------------------------------------------- saturation


def test_saturation_starts_at_90_percent_and_is_high_from_98() -> None:
    """89 % is no saturation, 91 % is (medium), 97 % is medium and 98 % high."""

    def severities(value: float) -> list[str]:
        findings = metric_findings(_current_only("cpu_percent", value), {})
        return [f.severity for f in findings if f.type == "metric_saturation"]

    assert severities(89.0) == []
    assert severities(91.0) == ["medium"]
    assert severities(97.0) == ["medium"]
    assert severities(98.0) == ["high"]


# --------------------------------------------------------------------------- growth


def test_growth_needs_five_points() -> None:
    """Four steadily rising points are no leak; five are."""
    assert growth([100.0, 110.0, 120.0, 130.0]) is None
    assert growth([100.0, 110.0, 120.0, 130.0, 140.0]) is not None


def test_growth_needs_a_rise_of_20_percent() -> None:
    """Quartile medians 100 -> 119 are no leak; 100 -> 121 is one."""
    assert growth([100.0, 100.0, 104.0, 108.0, 112.0, 116.0, 119.0, 119.0]) is None
    assert growth([100.0, 100.0, 104.0, 108.0, 112.0, 116.0, 121.0, 121.0]) is not None


def test_growth_step_may_be_at_most_half_of_the_rise() -> None:
    """A rise of 100 whose largest step is 49 is growth; with a step of 51 it is a shift."""
    assert growth([100.0, 100.0, 117.0, 134.0, 151.0, 200.0, 200.0, 200.0]) is not None
    assert growth([100.0, 100.0, 116.0, 133.0, 149.0, 200.0, 200.0, 200.0]) is None


# --------------------------------------------------------------------------- departure


def test_departure_z_threshold_is_3() -> None:
    """On a noise scale of 20 (half the baseline's range), a move of 59 (z 2.95) is no
    departure and 61 (z 3.05) is one."""
    base = [80.0, 100.0, 100.0, 100.0, 100.0, 120.0]
    below = departure([*base, 159.0, 159.0], 6, LATENCY)
    above = departure([*base, 161.0, 161.0], 6, LATENCY)
    assert below is not None and below.spread == 20.0 and not below.significant
    assert above is not None and above.z == 3.05 and above.significant


def test_departure_effect_threshold_is_20_percent() -> None:
    """100 -> 124 moves 19 % of the larger level (no effect); 100 -> 126 moves 21 %."""
    below = departure([100.0] * 4 + [124.0], 4, LATENCY)
    above = departure([100.0] * 4 + [126.0], 4, LATENCY)
    assert below is not None and below.effect == 0.0 and not below.significant
    assert above is not None and above.effect == pytest.approx(26 / 126, abs=1e-4)


def test_departure_percent_threshold_is_5_points() -> None:
    """A percentage moving 4.9 points has no effect; 5.1 points has."""
    below = departure([50.0] * 4 + [54.9], 4, CPU)
    above = departure([50.0] * 4 + [55.1], 4, CPU)
    assert below is not None and below.effect == 0.0
    assert above is not None and above.effect == pytest.approx(0.051)


def test_departure_noise_floor_is_5_percent_of_the_level() -> None:
    """A constant baseline of 100 has a noise scale of 5."""
    found = departure([100.0] * 6 + [300.0], 6, LATENCY)
    assert found is not None and found.spread == 5.0 and found.z == 40.0


def test_departure_score_is_full_from_half_the_scale_and_capped_at_z_100() -> None:
    """score = weight * log1p(min(z, 100)) * min(1, effect / 0.5), in the bad direction."""
    partial = departure([100.0] * 6 + [140.0], 6, LATENCY)
    assert partial is not None and partial.effect < 0.5
    expected = LATENCY.weight * math.log1p(partial.z) * partial.effect / 0.5
    assert partial.score == pytest.approx(expected, abs=1e-3)
    capped = departure([1.0] * 6 + [10000.0], 6, LATENCY)
    assert capped is not None and capped.z > 100
    assert capped.score == pytest.approx(LATENCY.weight * math.log1p(100.0), abs=1e-3)


def test_harmless_direction_counts_three_tenths() -> None:
    """Latency falling scores 0.3 of what the same departure would score rising."""
    down = departure([300.0] * 6 + [100.0], 6, LATENCY)
    assert down is not None and not down.bad
    unweighted = LATENCY.weight * math.log1p(down.z) * min(1.0, down.effect / 0.5)
    assert down.score == pytest.approx(0.3 * unweighted, abs=1e-3)


def test_long_baselines_from_20_points_ignore_a_rare_outlier() -> None:
    """19 baseline points keep their outlier in the noise (15); 20 use percentiles (5)."""
    short = departure([100.0] * 18 + [130.0, 160.0, 160.5], 19, LATENCY)
    long = departure([100.0] * 19 + [130.0, 160.0, 160.5], 20, LATENCY)
    assert short is not None and short.spread == 15.0
    assert long is not None and long.spread == 5.0


# --------------------------------------------------------------------------- exactly at


def test_thresholds_are_inclusive_exactly_at_their_value() -> None:
    """Exactly +25 %, exactly AUC 0.8 at a given split and exactly 90 % are all reported."""
    assert shift_at([100.0] * 10 + [125.0] * 10, 10, detected=False) is not None
    mixed = [100.0] * 16 + [200.0] * 4
    assert separation(mixed, [150.0] * 20) == 0.8
    assert shift_at(mixed + [150.0] * 20, 20, detected=False) is not None
    findings = metric_findings(_current_only("cpu_percent", 90.0), {})
    assert [f.description for f in findings] == ["cpu_percent reached 90%, 90% of its maximum"]


def test_saturation_reads_the_sustained_high_level_of_the_window() -> None:
    """Of a current window 10, 20, 95, 96 the level held is 95 (the second highest): 95 %."""
    series = Series(
        "cpu_percent", None, [10.0] * 4 + [10.0, 20.0, 95.0, 96.0], None, 4, True, False
    )
    saturation = [f for f in metric_findings(series, {}) if f.type == "metric_saturation"]
    assert [f.description for f in saturation] == ["cpu_percent reached 95%, 95% of its maximum"]


def test_shift_severity_is_high_from_x3_and_medium_from_x1_5() -> None:
    """A shift by x3 (either way) is high, x2.99 and x1.5 medium, x1.49 low."""

    def severity(before: float, after: float) -> str:
        series = Series("latency_ms", None, [before] * 10 + [after] * 10, None, 10, True, False)
        (anomaly,) = [f for f in metric_findings(series, {}) if f.type == "metric_anomaly"]
        return anomaly.severity

    assert severity(100.0, 300.0) == "high"
    assert severity(300.0, 100.0) == "high"
    assert severity(100.0, 299.0) == "medium"
    assert severity(100.0, 150.0) == "medium"
    assert severity(100.0, 149.0) == "low"


def test_a_ratio_named_as_a_percentage_moves_in_points_of_one() -> None:
    """A percentage whose values stay within [0, 1] is a ratio: 0.049 is 4.9 points of it."""
    below = departure([0.5] * 4 + [0.549], 4, CPU)
    above = departure([0.5] * 4 + [0.551], 4, CPU)
    assert below is not None and below.effect == 0.0
    assert above is not None and above.effect == pytest.approx(0.051)
    assert above.spread == pytest.approx(0.025)


def test_growth_reports_its_ends_peak_slope_and_steadiness() -> None:
    """A leak 100 -> 150 in 6 points (peak 155 before the end) is described exactly."""
    found = growth([100.0, 110.0, 120.0, 130.0, 155.0, 150.0])
    assert found is not None
    assert (found.first, found.last, found.peak, found.slope) == (100.0, 150.0, 155.0, 10.0)
    assert (found.monotonic_share, found.spearman) == (0.8, 0.943)

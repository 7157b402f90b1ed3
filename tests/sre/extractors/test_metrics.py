"""Tests of the metric extractor: every payload form, noise, change points, saturation."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alpha.schemas import IncidentInput
from sre.extractors.finding import Finding
from sre.extractors.metrics import extract_metrics, growth
from sre.extractors.shifts import shift_at
from sre.extractors.stats import change_point, median, separation

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _incident(metrics: dict[str, Any], **extra: Any) -> IncidentInput:
    payload: dict[str, Any] = {
        "deployment_id": "deploy-1",
        "logs": [],
        "metrics": metrics,
        "recent_commits": [],
        "config_snapshot": extra.pop("config", {}),
    }
    payload.update(extra)
    return IncidentInput.model_validate(payload)


def _of_type(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.type == kind]


def _points(values: list[float], step_minutes: int = 1) -> list[list[Any]]:
    return [
        [(T0 + timedelta(minutes=i * step_minutes)).isoformat(), v] for i, v in enumerate(values)
    ]


# Noisy-looking but fixed data: no randomness in tests of a deterministic extractor.
NOISE = [100, 104, 97, 101, 99, 103, 96, 102, 98, 100, 105, 95, 101, 99, 103, 97]


def test_windows_lists_report_the_shift_with_ratio_and_direction() -> None:
    """Explicit baseline/current lists give one anomaly with medians, ratio, direction."""
    incident = _incident(
        {"latency_p99_ms": {"baseline": [120, 118, 125], "current": [480, 510, 495], "unit": "ms"}}
    )
    [anomaly] = _of_type(extract_metrics(incident), "metric_anomaly")
    assert anomaly.value.baseline == 120
    assert anomaly.value.current == 495
    assert anomaly.value.direction == "up"
    assert math.isclose(anomaly.value.ratio, 495 / 120, rel_tol=1e-3)
    assert anomaly.value.change_index == 3
    assert anomaly.severity == "high"
    assert anomaly.description == (
        "latency_p99_ms rose from 120 ms to 495 ms (x4.1) in the incident window"
    )


def test_windows_are_named_after_the_split_that_exists() -> None:
    """The same windows say "after the deploy" only when a deploy happened."""
    windows = {"baseline": [120, 118, 125], "current": [480, 510, 495], "unit": "ms"}
    deployed = _incident({"latency_p99_ms": windows}, deployed_at="2026-11-20T14:00:00Z")
    alert = _incident({"latency_p99_ms": windows}, incident_started_at="2026-11-20T14:00:00Z")
    [after_deploy] = _of_type(extract_metrics(deployed), "metric_anomaly")
    [after_alert] = _of_type(extract_metrics(alert), "metric_anomaly")
    assert after_deploy.description.endswith("after the deploy")
    assert after_alert.description.endswith("after the incident start")


def test_windows_scalars_are_compared() -> None:
    """Scalar baseline and current windows are compared like one-point windows."""
    incident = _incident({"requests_per_second": {"baseline": 800, "current": 200}})
    [anomaly] = extract_metrics(incident)
    assert anomaly.type == "metric_anomaly"
    assert anomaly.value.direction == "down"
    assert anomaly.value.ratio == 0.25


def test_small_relative_change_is_not_flagged_even_without_noise() -> None:
    """A 10 % move is below the relative threshold whatever the noise."""
    incident = _incident({"rps": {"baseline": [100, 100, 100], "current": [110, 110, 110]}})
    assert extract_metrics(incident) == []


def test_large_relative_change_inside_the_noise_is_not_flagged() -> None:
    """A 30 % move of a series whose points swing by +-50 % fails the robust-z test."""
    baseline = [100, 150, 60, 140, 70, 120, 90]
    current = [130, 80, 160, 120, 150, 70, 140]
    incident = _incident({"queue_depth": {"baseline": baseline, "current": current}})
    assert median(current) / median(baseline) >= 1.25
    assert _of_type(extract_metrics(incident), "metric_anomaly") == []


def test_pure_noise_series_yields_no_signal() -> None:
    """A stationary noisy series gives no anomaly, no growth and no saturation."""
    incident = _incident({"requests_per_second": NOISE * 3})
    assert extract_metrics(incident) == []


def test_series_change_point_is_found() -> None:
    """An evenly spaced series with a level shift reports the index of the shift."""
    series = NOISE[:10] + [v * 3 for v in NOISE[:6]]
    [anomaly] = extract_metrics(_incident({"error_count": series}))
    assert anomaly.value.change_index == 10
    assert anomaly.value.change_at is None
    assert anomaly.value.split_given is False
    assert "at point 11 of 16" in anomaly.description


def test_points_split_by_deployed_at() -> None:
    """Timestamped points are split at `deployed_at` and the change time is reported."""
    values = [100.0, 102, 98, 101, 400, 410, 395, 405]
    incident = _incident(
        {"latency_ms": {"points": _points(values), "unit": "ms"}},
        deployed_at=(T0 + timedelta(minutes=4)).isoformat(),
    )
    [anomaly] = extract_metrics(incident)
    assert anomaly.value.change_index == 4
    assert anomaly.value.change_at == "2026-11-20T14:04:00Z"
    assert anomaly.value.split_given is True


def test_points_shift_long_after_the_deploy_is_still_found() -> None:
    """When the deploy split shows nothing, a later change point in the points is reported."""
    values = [float(v) for v in NOISE] + [v * 10.0 for v in NOISE[:8]]
    incident = _incident(
        {"upstream_p99_ms": {"points": _points(values)}},
        deployed_at=(T0 + timedelta(minutes=2)).isoformat(),
    )
    [anomaly] = extract_metrics(incident)
    assert anomaly.value.change_at == (T0 + timedelta(minutes=16)).isoformat().replace(
        "+00:00", "Z"
    )
    assert anomaly.value.split_given is False


def test_points_out_of_order_and_naive_times_are_handled() -> None:
    """Points are sorted by time, and naive times compare with an aware deployed_at."""
    pairs = [[f"2026-11-20T14:0{i}:00", v] for i, v in enumerate([10, 11, 10, 50, 52, 51])]
    incident = _incident(
        {"queue_lag": {"points": list(reversed(pairs))}}, deployed_at="2026-11-20T14:03:00Z"
    )
    [anomaly] = extract_metrics(incident)
    assert anomaly.value.baseline == 10
    assert anomaly.value.current == 51


def test_zero_baseline_reports_no_ratio() -> None:
    """A rise from zero has ratio None and says so in words."""
    incident = _incident({"http_5xx_per_minute": {"baseline": [0, 0, 1, 0, 0], "current": [9, 12]}})
    [anomaly] = _of_type(extract_metrics(incident), "metric_anomaly")
    assert anomaly.value.ratio is None
    assert "(from zero)" in anomaly.description


def test_saturation_against_pool_size_in_config() -> None:
    """Connections in use are compared with the pool size found in the config."""
    incident = _incident(
        {"db_connections_in_use": {"baseline": [4, 5, 4], "current": [5, 5, 5]}},
        config={"database": {"pool_size": 5, "pool_timeout_s": 30}, "redis": {"pool_size": 50}},
    )
    [saturation] = _of_type(extract_metrics(incident), "metric_saturation")
    assert saturation.value.limit_key == "database.pool_size"
    assert saturation.value.limit == 5
    assert saturation.value.utilization == 1.0
    assert saturation.severity == "high"


def test_saturation_matches_synonyms_of_connections() -> None:
    """Connection and thread metrics find their limits through synonyms (pool, workers)."""
    incident = _incident(
        {"hikaricp_connections_active": [18, 19, 20, 20], "busy_threads": 15},
        config={
            "spring": {"datasource": {"hikari": {"maximum-pool-size": 20, "minimum-idle": 2}}},
            "server": {"workers": 16},
        },
    )
    found = {
        f.value.metric: f.value for f in _of_type(extract_metrics(incident), "metric_saturation")
    }
    assert found["hikaricp_connections_active"].limit_key == (
        "spring.datasource.hikari.maximum-pool-size"
    )
    assert found["busy_threads"].limit_key == "server.workers"


def test_usage_far_below_the_limit_is_not_saturation() -> None:
    """Half of the pool in use is no saturation."""
    incident = _incident(
        {"db_connections_in_use": [20, 21, 22, 25]}, config={"db": {"max_connections": 50}}
    )
    assert _of_type(extract_metrics(incident), "metric_saturation") == []


def test_percent_saturation_in_both_scales() -> None:
    """`*_percent` near 100 and `*_utilization` near 1.0 are both saturation."""
    incident = _incident({"disk_used_percent": 97, "cpu_utilization": [0.5, 0.6, 0.97, 0.99]})
    names = sorted(f.value.metric for f in _of_type(extract_metrics(incident), "metric_saturation"))
    assert names == ["cpu_utilization", "disk_used_percent"]


def test_usage_at_the_limit_series_beside_it_is_saturation() -> None:
    """Redis memory used at its exported maximum is saturation against that series, in
    bytes; the same usage far below its maximum is not."""
    used = [4.19e9, 4.2e9, 4.21e9, 4.2e9, 4.29e9, 4.295e9]
    incident = _incident(
        {
            'redis_memory_used_bytes{instance="redis-0"}': {"points": _points(used)},
            'redis_memory_max_bytes{instance="redis-0"}': {"points": _points([4.294967296e9] * 6)},
            'redis_memory_used_bytes{instance="redis-1"}': {"points": _points([1e9] * 6)},
            'redis_memory_max_bytes{instance="redis-1"}': {"points": _points([4.294967296e9] * 6)},
        }
    )
    [full] = _of_type(extract_metrics(incident), "metric_saturation")
    assert full.value.metric == 'redis_memory_used_bytes{instance="redis-0"}'
    assert full.value.limit_key == 'redis_memory_max_bytes{instance="redis-0"}'
    assert full.value.utilization >= 0.99


def test_a_usage_in_bytes_is_never_a_percentage() -> None:
    """`SwapUsage` in Bytes (or with values no share can reach) is a quantity, not a share
    of 100 %: no saturation, whatever its name says."""
    swap = {"points": _points([12_500_000 + 1_000 * (i % 5) for i in range(30)]), "unit": "Bytes"}
    binlog = {"points": _points([3.6e9 + 1e7 * i for i in range(30)])}
    incident = _incident({"db/SwapUsage": swap, "db/BinLogDiskUsage": binlog})
    assert _of_type(extract_metrics(incident), "metric_saturation") == []


def test_free_storage_run_down_to_nothing_is_depleted() -> None:
    """Free storage falling steadily to under 5 % of its peak is a depleted resource, even
    though the fall spans the whole baseline (no change point, a spread as wide as the fall);
    free memory near zero is not (kernels keep it low on purpose)."""
    falling = [33e9 - 0.9e9 * i for i in range(36)] + [0.25e9, 0.24e9, 0.26e9, 0.25e9]
    metrics = {
        "orders-db/FreeStorageSpace": {"points": _points(falling), "unit": "Bytes"},
        "orders-db/FreeableMemory": {"points": _points(falling), "unit": "Bytes"},
    }
    start = (T0 + timedelta(minutes=36)).isoformat()
    incident = _incident(metrics, incident_started_at=start)
    [depleted] = _of_type(extract_metrics(incident), "metric_saturation")
    assert depleted.value.metric == "orders-db/FreeStorageSpace"
    assert depleted.value.depleted and depleted.value.limit == 33e9
    assert depleted.value.current <= 0.26e9 and depleted.value.utilization > 0.99
    assert "nearly exhausted" in depleted.description


def test_burst_credits_in_percent_run_to_zero_are_depleted() -> None:
    """An RDS BurstBalance (a percentage of credits) falling from 100 to 0 is depleted."""
    balance = [100.0] * 20 + [80.0, 60.0, 40.0, 20.0, 5.0, 0.0, 0.0, 0.0]
    metrics = {
        "AWS/RDS/BurstBalance{DBInstanceIdentifier=catalog-db}": {
            "points": _points(balance),
            "unit": "Percent",
        }
    }
    incident = _incident(metrics, incident_started_at=(T0 + timedelta(minutes=24)).isoformat())
    [depleted] = _of_type(extract_metrics(incident), "metric_saturation")
    assert depleted.value.depleted and depleted.value.current == 0.0


def test_free_storage_that_stays_plentiful_is_not_depleted() -> None:
    """Free storage wobbling well above its floor is no depletion."""
    metrics = {
        "db/FreeStorageSpace": {"points": _points([x * 1e8 for x in NOISE]), "unit": "Bytes"}
    }
    assert _of_type(extract_metrics(_incident(metrics)), "metric_saturation") == []


def test_higher_is_better_percentages_are_not_saturation() -> None:
    """A cache hit percentage of 99 is good news, not saturation."""
    assert extract_metrics(_incident({"cache_hit_percent": 99})) == []


def test_monotonic_growth_is_a_leak() -> None:
    """A series rising at nearly every step is reported as growth, not as a level shift."""
    memory = [500 + 20 * i + (3 if i % 5 == 0 else 0) for i in range(20)]
    findings = extract_metrics(_incident({"memory_rss_mb": memory}))
    assert [f.type for f in findings] == ["metric_growth"]
    assert findings[0].value.first == memory[0]
    assert findings[0].value.monotonic_share >= 0.8


def test_noisy_sawtooth_leak_is_growth_by_rank_correlation() -> None:
    """A leak with noisy steps (a third of steps falling) is still growth."""
    memory = [1000 + 10 * i + (-25 if i % 3 == 0 else 0) for i in range(60)]
    result = growth([float(v) for v in memory])
    assert result is not None
    assert result.spearman >= 0.9
    assert result.monotonic_share < 0.8


def test_one_step_shift_is_not_growth() -> None:
    """A single jump to a plateau is a level shift, not steady growth."""
    assert growth([10, 10, 11, 10, 50, 51, 50, 50]) is None


def test_error_metric_without_baseline_is_a_notable_value() -> None:
    """An error-like metric above zero with no baseline becomes `metric_value`."""
    findings = extract_metrics(_incident({"error_rate": 0.35, "requests_per_second": 800}))
    assert [(f.type, f.value.metric) for f in findings] == [("metric_value", "error_rate")]


def test_findings_are_sorted_by_metric_name_whatever_the_dict_order() -> None:
    """Metric order in the payload does not change the findings."""
    metrics = {
        "b_latency_ms": {"baseline": [1, 1, 1], "current": [9, 9, 9]},
        "a_errors": {"baseline": [0, 0, 0], "current": [5, 6, 7]},
    }
    forward = extract_metrics(_incident(metrics))
    backward = extract_metrics(_incident(dict(reversed(list(metrics.items())))))
    assert forward == backward
    assert [f.value.metric for f in forward] == ["a_errors", "b_latency_ms"]


def test_nan_and_infinity_are_ignored() -> None:
    """Non-finite points are dropped instead of poisoning medians."""
    incident = IncidentInput.model_validate_json(
        '{"deployment_id": "d", "logs": [], "recent_commits": [], "config_snapshot": {},'
        ' "metrics": {"x_ms": {"baseline": [1, NaN, 1, 1], "current": [5, Infinity, 5]}}}'
    )
    [anomaly] = extract_metrics(incident)
    assert anomaly.value.current == 5


def test_change_point_and_separation_helpers() -> None:
    """The change point of a clean step is its index, and the sides separate fully."""
    series = [1.0, 2, 1, 2, 1, 9, 8, 9, 8]
    assert change_point(series, 2) == 5
    assert separation(series[:5], series[5:]) == 1.0
    assert change_point([3.0] * 10, 2) is None


_NUMBER = st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(-(10**12), 10**12)
_LIST = st.lists(_NUMBER, max_size=40)
_TIME = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
_FORM = st.one_of(
    _NUMBER,
    _LIST,
    st.builds(
        lambda b, c: {"baseline": b, "current": c}, _NUMBER | _LIST | st.none(), _NUMBER | _LIST
    ),
    st.builds(
        lambda pts: {"points": [[t.isoformat(), v] for t, v in pts]},
        st.lists(st.tuples(_TIME, _NUMBER), max_size=30),
    ),
)
_NAMES = st.sampled_from(
    ["db_connections_in_use", "cpu_utilization", "disk_percent", "error_rate", "latency_ms", "x"]
)


@settings(max_examples=150, deadline=None)
@given(
    metrics=st.dictionaries(_NAMES, _FORM, max_size=4),
    deployed=st.none() | _TIME,
    pool=st.integers(-3, 100) | st.floats(allow_nan=True),
)
def test_metric_extractor_never_raises_and_stays_json(
    metrics: dict[str, Any], deployed: datetime | None, pool: float
) -> None:
    """Any numeric series in any form gives findings without raising, JSON-serialisable."""
    extra: dict[str, Any] = {"config": {"database": {"pool_size": pool}}}
    if deployed is not None:
        extra["deployed_at"] = deployed.isoformat()
    incident = _incident(metrics, **extra)
    findings = extract_metrics(incident)
    assert findings == extract_metrics(incident)
    for finding in findings:
        json.dumps(finding.value.model_dump(), allow_nan=False)
        assert finding.severity in {"low", "medium", "high"}


def test_extreme_magnitudes_never_produce_non_finite_numbers() -> None:
    """Values near the float limits are dropped or handled; no inf/NaN reaches a signal."""
    metrics = {
        "a": {"baseline": [5e-324, 5e-324, 5e-324], "current": [1e140, 1e140]},
        "b": {"baseline": [-1.7e308] * 3, "current": [1.7e308] * 3},
        "c": [1e149, -1e149] * 5,
        "db_connections_in_use": [1e149, 1e149, 1e149, 1e149],
    }
    findings = extract_metrics(_incident(metrics, config={"db": {"pool_size": 5e-324}}))
    assert findings
    for finding in findings:
        json.dumps(finding.value.model_dump(), allow_nan=False)


def test_detected_split_must_separate_the_sides() -> None:
    """Overlapping sides are no shift at a searched split (stricter than a given one)."""
    bursty = [0.0, 0, 0, 5, 0, 1, 5, 1, 5, 10]
    split = change_point(bursty, 2)
    assert split is not None
    assert shift_at(bursty, split, detected=False) is not None
    assert shift_at(bursty, split, detected=True) is None
    assert extract_metrics(_incident({"retries_per_minute": bursty})) == []
    overlapping = {"baseline": [10, 0, 1, 0], "current": [5, 5, 5, 5, 0]}
    assert extract_metrics(_incident({"retries_per_minute": overlapping})) == []


def test_change_point_does_not_stop_at_the_baselines_highest_points() -> None:
    """Two slightly raised points before a big jump stay on the baseline side."""
    series = [100.0, 101, 99, 100, 102, 98, 100, 101, 99, 100, 120, 121]
    series += [1000, 1010, 1005, 1020, 1000, 1015]
    assert change_point(series, 2) == 12


def test_saturation_limit_must_belong_to_the_same_system() -> None:
    """A database connection metric is not compared with the Redis pool size."""
    incident = _incident(
        {"db_connections_in_use": [8, 9, 10, 10], "redis_pool_size": [10, 10, 10, 10]},
        config={"redis": {"pool_size": 10}},
    )
    assert _of_type(extract_metrics(incident), "metric_saturation") == []

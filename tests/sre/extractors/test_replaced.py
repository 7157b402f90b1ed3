"""Pods replaced during the incident, read from their series (`sre.extractors.replaced`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpha.schemas import MetricPoints
from sre.extractors.replaced import replaced_pods
from sre.extractors.shifts import Series, normalise
from sre.signals.values import SignatureValue

START = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
STEP = timedelta(seconds=15)
POINTS = 120  # 30 minutes
OLD, NEW = "contacts-7f9c8d6b5-x2k4p", "contacts-7f9c8d6b5-q8mwn"


def _series(name: str, first: int = 0, last: int = POINTS) -> Series:
    times = [START + i * STEP for i in range(first, last)]
    points = MetricPoints(points=[(t, 0.2 + 0.01 * (i % 3)) for i, t in enumerate(times)])
    return normalise(name, points, None)


def _cpu(pod: str, first: int = 0, last: int = POINTS) -> Series:
    return _series(f'container_cpu_usage_seconds_total{{pod="{pod}"}}', first, last)


def _bystanders() -> list[Series]:
    return [_cpu("station-5c8d7f9b6-w2kq7"), _cpu("route-6b7c8d9f5-z5b7n")]


def test_a_pod_whose_series_end_as_a_new_pods_begin_was_replaced() -> None:
    """The old pod's series stop at 14:15, the new pod's start at 14:15:15: one finding,
    about the workload, with the old pod as its object and the moment it went."""
    found = replaced_pods([*_bystanders(), _cpu(OLD, last=61), _cpu(NEW, first=61)])
    assert len(found) == 1
    value = found[0].value
    assert isinstance(value, SignatureValue)
    assert (value.kind, value.category, value.emitter, value.obj) == (
        "pod_replaced",
        None,
        "contacts",
        OLD,
    )
    assert value.count_after == 1 and value.first_seen == "2026-11-20T14:15:00Z"


def test_a_pod_replaced_again_and_again_counts_each_new_pod() -> None:
    pods = [f"contacts-7f9c8d6b5-{s}" for s in ("q8mwn", "t5s7c", "vk66j")]
    new = [_cpu(pod, first=41 + 20 * i, last=60 + 20 * i) for i, pod in enumerate(pods)]
    series = [_cpu(OLD, last=40), *new]
    found = replaced_pods([*_bystanders(), *series])
    assert [f.value.count_after for f in found if isinstance(f.value, SignatureValue)] == [3]


def test_scaling_and_a_missed_scrape_are_no_replacement() -> None:
    """New pods alone (scale-up), a pod gone alone (scale-down), and a pod whose series
    miss their last point (one scrape) are left out."""
    scale_up = [_cpu(OLD), _cpu(NEW, first=61)]
    scale_down = [_cpu(OLD, last=61), _cpu(NEW)]
    missed_scrape = [_cpu(OLD, last=POINTS - 1), _cpu(NEW, first=61)]
    for series in (scale_up, scale_down, missed_scrape):
        assert replaced_pods([*_bystanders(), *series]) == []


def test_the_deployed_services_rollout_and_old_history_are_no_replacement() -> None:
    series = [*_bystanders(), _cpu(OLD, last=61), _cpu(NEW, first=61)]
    assert replaced_pods(series, deployed="contacts") == []
    # Replaced at 14:15, the investigation window starts at 14:29 (within EARLY: kept)
    # or at 14:45 (half an hour later: history).
    assert len(replaced_pods(series, split_at=START + timedelta(minutes=29))) == 1
    assert replaced_pods(series, split_at=START + timedelta(minutes=45)) == []

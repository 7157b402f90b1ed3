"""Kubernetes states read from kube-state-metrics series (`sre.extractors.kubestate`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpha.schemas import MetricPoints
from sre.extractors.kubestate import state_signature
from sre.extractors.shifts import Series, normalise
from sre.signals.values import SignatureValue

START = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
POD = "carts-4nb6v9wrzv-vf4w5"


def _series(name: str, values: list[float]) -> Series:
    times = [START + timedelta(minutes=i) for i in range(len(values))]
    return normalise(name, MetricPoints(points=list(zip(times, values, strict=True))), None)


def test_a_terminated_reason_turning_on_is_that_signature_about_the_pod() -> None:
    name = f'kube_pod_container_status_last_terminated_reason{{pod="{POD}",reason="OOMKilled"}}'
    found = state_signature(_series(name, [0, 0, 0, 1, 1]))
    assert found is not None and isinstance(found.value, SignatureValue)
    value = found.value
    assert (value.kind, value.category, value.obj, value.emitter) == (
        "oom_killed",
        "resource_exhaustion",
        POD,
        "carts",
    )
    assert (value.trend, value.first_seen) == ("new", "2026-11-20T14:03:00Z")


def test_a_state_held_from_the_first_point_is_steady_and_other_reasons_say_nothing() -> None:
    waiting = f'kube_pod_container_status_waiting_reason{{pod="{POD}",reason="CrashLoopBackOff"}}'
    steady = state_signature(_series(waiting, [1, 1, 1]))
    assert steady is not None and steady.value.trend == "steady"
    assert steady.value.kind == "crash_loop"
    # A reason no catalogue entry names, a series that never turned on, no reason at all.
    terminated = "kube_pod_container_status_last_terminated_reason"
    completed = f'{terminated}{{pod="{POD}",reason="Completed"}}'
    never = f'kube_pod_status_reason{{pod="{POD}",reason="Evicted"}}'
    assert state_signature(_series(completed, [0, 1, 1])) is None
    assert state_signature(_series(never, [0, 0, 0])) is None
    assert state_signature(_series(f'kube_pod_status_ready{{pod="{POD}"}}', [1, 0])) is None

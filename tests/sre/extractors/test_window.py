"""The investigation window: deploy, incident start, error change point, or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alpha.schemas import IncidentInput
from sre.extractors.window import investigation_window

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _lines(minutes: int, errors_from: int | None = None) -> list[str]:
    lines = []
    for second in range(0, minutes * 60, 5):
        at = T0 + timedelta(seconds=second)
        level = "ERROR" if errors_from is not None and second >= errors_from * 60 else "INFO"
        lines.append(f"{at.strftime('%Y-%m-%dT%H:%M:%SZ')} {level} handled request")
    return lines


def _incident(**fields: Any) -> IncidentInput:
    base: dict[str, Any] = {
        "deployment_id": "alert-1",
        "logs": _lines(30),
        "metrics": {},
        "recent_commits": [],
        "config_snapshot": {},
    }
    base.update(fields)
    return IncidentInput.model_validate(base)


def test_a_deploy_inside_the_evidence_splits_it() -> None:
    """`deployed_at` after the log begins is the split, and a deploy is in the story."""
    window = investigation_window(_incident(deployed_at=T0 + timedelta(minutes=10)))
    assert window.split_by == "deployed_at" and window.has_deploy
    assert window.label == "the deploy"


def test_a_deploy_before_the_evidence_gives_way_to_the_incident_start() -> None:
    """A deploy long before the log says nothing; the incident start splits instead."""
    window = investigation_window(
        _incident(
            deployed_at=T0 - timedelta(hours=5),
            incident_started_at=T0 + timedelta(minutes=12),
        )
    )
    assert window.split_by == "incident_started_at"
    assert window.split_at == T0 + timedelta(minutes=12)


def test_without_times_given_an_error_change_point_splits() -> None:
    """No deploy and no start: the time the error rate jumps is found in the log."""
    window = investigation_window(_incident(logs=_lines(30, errors_from=20)))
    assert window.split_by == "change_point" and not window.has_deploy
    assert window.split_at is not None
    assert abs((window.split_at - (T0 + timedelta(minutes=20))).total_seconds()) <= 60


def test_a_steady_log_has_no_split() -> None:
    """No deploy, no start, no jump: the whole payload is the incident window."""
    window = investigation_window(_incident(logs=_lines(30)))
    assert window.split_at is None and window.split_by is None
    assert window.label == "the start of the evidence"


def test_errors_throughout_give_no_change_point() -> None:
    """A log that is all errors from the first line has no onset inside it."""
    window = investigation_window(_incident(logs=_lines(30, errors_from=0)))
    assert window.split_at is None


def test_commits_alone_put_a_deploy_in_the_story() -> None:
    """Recent commits without `deployed_at` still make deploy wording legitimate."""
    commit = {"sha": "9f3c2ab71d0e", "message": "Tune pool"}
    assert investigation_window(_incident(recent_commits=[commit])).has_deploy


def _points(values: list[float]) -> dict[str, Any]:
    """A series sampled every 30 s from T0."""
    return {
        "points": [
            [(T0 + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), v]
            for i, v in enumerate(values)
        ]
    }


def _noisy(level: float, n: int, seed: int) -> list[float]:
    """`n` points around `level`, a fixed wobble of a few percent."""
    return [level * (1 + 0.03 * (((i * 7 + seed) % 5) - 2)) for i in range(n)]


def _jump(before: float, after: float, at: int, seed: int) -> dict[str, Any]:
    """60 points every 30 s from T0 around `before`, then from point `at` around `after`."""
    return _points(_noisy(before, at, seed) + _noisy(after, 60 - at, seed + 1))


def test_without_log_errors_the_latency_series_place_the_onset() -> None:
    """No deploy, no start, no error jump in the log: the time the latency and error
    series depart in their harmful direction splits, at the first of them."""
    metrics = {
        "checkout.latency_p99_ms": _jump(80, 400, at=40, seed=1),
        "cart.latency_p99_ms": _jump(50, 300, at=41, seed=3),
        "cart.error_rate": _jump(1, 9, at=42, seed=5),
        "cart.requests_per_second": _jump(100, 300, at=10, seed=7),
    }
    window = investigation_window(_incident(metrics=metrics))
    assert window.split_by == "change_point"
    assert window.split_at == T0 + timedelta(seconds=30 * 40)


def test_traffic_alone_places_no_onset() -> None:
    """A series that moves for innocent reasons (requests) does not split by itself."""
    metrics = {"cart.requests_per_second": _jump(100, 300, at=30, seed=1)}
    assert investigation_window(_incident(metrics=metrics)).split_at is None


def test_a_latency_drop_places_no_onset() -> None:
    """Latency falling is its harmless direction: no incident begins there."""
    metrics = {"cart.latency_p99_ms": _jump(300, 60, at=30, seed=1)}
    assert investigation_window(_incident(metrics=metrics)).split_at is None


def test_the_onset_most_series_agree_on_wins_over_a_lone_one() -> None:
    """Three latency series departing together outweigh one departing earlier alone."""
    metrics = {
        "batch.latency_p99_ms": _jump(80, 200, at=10, seed=1),
        "a.latency_p99_ms": _jump(80, 400, at=45, seed=3),
        "b.latency_p99_ms": _jump(80, 400, at=45, seed=5),
        "c.latency_p99_ms": _jump(80, 400, at=46, seed=7),
    }
    window = investigation_window(_incident(metrics=metrics))
    assert window.split_at == T0 + timedelta(seconds=30 * 45)

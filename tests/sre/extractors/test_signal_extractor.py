"""Tests of the extraction pipeline: order, stable ids, and data passed between extractors."""

from __future__ import annotations

import json
from typing import Any

from alpha.schemas import IncidentInput
from sre.extractors.signal_extractor import extract_evidence, extract_signals

STAGES = ["logs", "metrics", "config", "commits"]

TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/srv/app/app/payments/client.py", line 42, in charge',
    "    resp = session.post(url)",
    "TimeoutError: upstream timed out",
]


def _payload() -> dict[str, Any]:
    logs = ["2026-11-20T13:58:00Z INFO request ok path=/pay"]
    for second in range(10, 14):
        logs += [f"2026-11-20T14:03:{second}Z ERROR charge failed", *TRACEBACK]
    return {
        "deployment_id": "deploy-2026-11-20-1400",
        "deployed_at": "2026-11-20T14:00:00Z",
        "incident_started_at": "2026-11-20T14:03:00Z",
        "environment": "production",
        "logs": logs,
        "metrics": {
            "latency_p99_ms": {"baseline": [120, 118, 125], "current": [480, 510, 495]},
            "db_connections_in_use": {"baseline": [3, 4, 3], "current": [5, 5, 5]},
            "error_rate": [0.01, 0.01, 0.012, 0.01, 0.2, 0.22, 0.21, 0.2],
        },
        "recent_commits": [
            {
                "sha": "9f3c2ab71d0e",
                "message": "Add retry to payment client",
                "timestamp": "2026-11-20T13:49:00Z",
                "files": [
                    {
                        "filename": "app/payments/client.py",
                        "patch": "+    for attempt in range(10):\n+        time.sleep(0.5)",
                    }
                ],
            },
            {
                "sha": "4be1f0c9",
                "message": "Lower DB pool",
                "timestamp": "2026-11-20T13:30:00Z",
                "files": [
                    {
                        "filename": "config/production.yaml",
                        "patch": "-  pool_size: 50\n+  pool_size: 5",
                    }
                ],
            },
            {"sha": "d952343", "message": "docs", "files": ["docs/payments.md"]},
        ],
        "config_snapshot": {"database": {"pool_size": 5, "host": "pg"}, "http": {"workers": 8}},
        "previous_config_snapshot": {
            "http": {"workers": 8},
            "database": {"host": "pg", "pool_size": 50},
        },
    }


def _reordered(value: Any) -> Any:
    """The same JSON with every object's keys in reverse order (lists untouched)."""
    if isinstance(value, dict):
        return {k: _reordered(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def test_ids_are_sequential_and_stages_in_order() -> None:
    """Signals are numbered sig_001.. without gaps, logs then metrics, config, commits."""
    signals = extract_signals(IncidentInput.model_validate(_payload()))
    assert [s.id for s in signals] == [f"sig_{i:03d}" for i in range(1, len(signals) + 1)]
    stages = [STAGES.index(s.source) for s in signals]
    assert stages == sorted(stages)
    assert set(stages) == {0, 1, 2, 3}


def test_object_key_order_does_not_matter() -> None:
    """Reordering the keys of every object in the payload leaves the signals unchanged."""
    forward = extract_signals(IncidentInput.model_validate(_payload()))
    backward = extract_signals(IncidentInput.model_validate(_reordered(_payload())))
    assert [s.model_dump() for s in forward] == [s.model_dump() for s in backward]


def test_commits_see_frame_files_and_config_keys() -> None:
    """Commit signals use the log extractor's frame files and the config diff."""
    evidence = extract_evidence(IncidentInput.model_validate(_payload()))
    assert "app/payments/client.py" in evidence.logs.frame_files
    assert evidence.commit_shas_by_key == {"database.pool_size": ["4be1f0c9"]}
    commits = {s.value.sha: s for s in evidence.signals if s.type == "commit"}
    assert commits["9f3c2ab71d0e"].value.files_in_stack_frames == ["app/payments/client.py"]
    assert commits["4be1f0c9"].value.config_keys == ["database.pool_size"]
    assert commits["d952343"].severity == "low"
    saturation = next(s for s in evidence.signals if s.type == "metric_saturation")
    assert saturation.value.limit_key == "database.pool_size"


def test_every_signal_value_is_json() -> None:
    """Signal values serialise to strict JSON (no NaN, no datetimes)."""
    for signal in extract_signals(IncidentInput.model_validate(_payload())):
        json.dumps(signal.value.model_dump(), allow_nan=False)


def test_empty_incident_gives_only_what_logs_report() -> None:
    """An incident with no metrics, commits or config gives no signals from those sources."""
    incident = IncidentInput.model_validate(
        {
            "deployment_id": "d",
            "logs": [],
            "metrics": {},
            "recent_commits": [],
            "config_snapshot": {},
        }
    )
    assert {s.source for s in extract_signals(incident)} <= {"logs"}

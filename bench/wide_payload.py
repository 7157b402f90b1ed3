"""A wide incident payload for benchmarks: many services, hundreds of series, no deploy.

`wide_incident(services=30, series_per_service=10, lines=7000)` gives an alert-driven incident
of a system of services (`svc-00` ... ) whose logs carry collector prefixes (time and pod
name) and whose metrics are per-service series of one-minute points over two hours with
realistic noise; one service's CPU saturates and its errors rise after the incident start.
Seeded: the same arguments give the same payload.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ONSET = START + timedelta(minutes=100)
MEASURES = (
    ("CpuUsageRate(%)", "%", 8.0),
    ("MemoryUsageRate(%)", "%", 40.0),
    ("NetworkReceiveBytes", "B/s", 5000.0),
    ("NetworkTransmitBytes", "B/s", 40000.0),
    ("PodServerLatencyP90(s)", "s", 0.05),
    ("PodServerLatencyP99(s)", "s", 0.2),
    ("PodClientLatencyP90(s)", "s", 0.01),
    ("PodWorkload(Ops)", "ops/s", 1.0),
    ("PodSuccessRate(%)", "%", 99.5),
    ("ErrorCount", "Count", 0.5),
)


def _pod(rng: random.Random, service: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    rs = "".join(rng.choice(alphabet) for _ in range(10))
    suffix = "".join(rng.choice(alphabet) for _ in range(5))
    return f"{service}-{rs}-{suffix}"


def wide_incident(
    services: int = 30, series_per_service: int = 10, lines: int = 7000, seed: int = 7
) -> dict[str, Any]:
    """The payload as a JSON-ready dict (see the module docstring)."""
    rng = random.Random(seed)
    names = [f"svc-{i:02d}" for i in range(services)]
    culprit = names[services // 3]
    pods = {name: _pod(rng, name) for name in names}
    metrics: dict[str, Any] = {}
    for name in names:
        for measure, unit, level in MEASURES[:series_per_service]:
            points = []
            for minute in range(120):
                at = START + timedelta(minutes=minute)
                value = level * (1 + rng.gauss(0, 0.15))
                if rng.random() < 0.03:
                    value *= rng.uniform(2, 20)  # spikes every series has now and then
                if unit == "%":
                    value = min(value, 100.0)
                if name == culprit and at >= ONSET and measure.startswith("Cpu"):
                    value = 97 + rng.random() * 3
                points.append([at.strftime("%Y-%m-%dT%H:%M:%SZ"), round(max(value, 0.0), 4)])
            metrics[f"{name}.{measure}"] = {"points": points, "unit": unit}
    log_lines = []
    for index in range(lines):
        at = START + timedelta(seconds=7200 * index / lines)
        name = rng.choice(names)
        level, text = (
            "INFO",
            f"handled request id={rng.randrange(10**6)} in {rng.randrange(5, 80)}ms",
        )
        if name == culprit and at >= ONSET and rng.random() < 0.5:
            level, text = "ERROR", "request timed out after 5000ms while processing order"
        elif rng.random() < 0.01:
            level, text = "WARN", "slow query detected on table orders"
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        log_lines.append(f"{stamp} {pods[name]} {at.strftime('%H:%M:%S')} {level} {text}")
    return {
        "deployment_id": f"alert-cpu-{culprit}",
        "logs": log_lines,
        "metrics": metrics,
        "recent_commits": [],
        "config_snapshot": {},
        "incident_started_at": (ONSET + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }

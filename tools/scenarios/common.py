"""Helpers for the scenario generators: time, log line formats, noise and metric series.

The generators are seeded (`random.Random(name)`), so regenerating a scenario gives the
same file byte for byte; edit a generator and rerun it instead of hand-editing the JSON.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The bundled scenarios: package data of `sre.scenarios`, beside its loader.
OUT_DIR = Path(__file__).resolve().parents[2] / "sre" / "scenarios"


def parse(ts: str) -> datetime:
    """An ISO timestamp ending in Z as an aware datetime."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def iso(dt: datetime, ms: bool = True) -> str:
    """`2026-11-20T14:03:11.123Z`."""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if ms:
        text += f".{dt.microsecond // 1000:03d}"
    return text + "Z"


def py_ts(dt: datetime) -> str:
    """Python logging's default asctime: `2026-11-20 14:03:11,123`."""
    return dt.strftime("%Y-%m-%d %H:%M:%S") + f",{dt.microsecond // 1000:03d}"


def java_ts(dt: datetime) -> str:
    """Logback's default: `2026-11-20 14:03:11.123`."""
    return dt.strftime("%Y-%m-%d %H:%M:%S") + f".{dt.microsecond // 1000:03d}"


def clf_ts(dt: datetime) -> str:
    """Common Log Format's time (nginx, Apache access logs): `20/Nov/2026:14:03:11 +0000`."""
    return dt.strftime("%d/%b/%Y:%H:%M:%S +0000")


def sha(rng: random.Random) -> str:
    """A random 40-character commit SHA."""
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


@dataclass
class Log:
    """Log entries (possibly multi-line) kept in time order when rendered."""

    entries: list[tuple[datetime, int, list[str]]] = field(default_factory=list)

    def add(self, dt: datetime, *lines: str) -> None:
        """Add an entry at `dt`; several lines stay together (a stack trace)."""
        self.entries.append((dt, len(self.entries), list(lines)))

    def lines(self) -> list[str]:
        """All lines in time order (ties keep insertion order)."""
        out: list[str] = []
        for _, _, lines in sorted(self.entries, key=lambda e: (e[0], e[1])):
            out.extend(lines)
        return out


def times(rng: random.Random, start: datetime, end: datetime, n: int) -> list[datetime]:
    """`n` random instants between start and end, sorted."""
    span = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(n))


def every(
    start: datetime, end: datetime, seconds: float, jitter_ms: int, rng: random.Random
) -> list[datetime]:
    """Regular instants (healthchecks, scrapes) with a little jitter."""
    out = []
    t = start
    while t < end:
        out.append(t + timedelta(milliseconds=rng.randint(0, jitter_ms)))
        t += timedelta(seconds=seconds)
    return out


def wobble(rng: random.Random, level: float, n: int, spread: float, digits: int = 1) -> list[float]:
    """A flat series with noise (relative spread)."""
    return [round(level * (1 + rng.uniform(-spread, spread)), digits) for _ in range(n)]


def ramp(
    rng: random.Random, start: float, end: float, n: int, spread: float, digits: int = 1
) -> list[float]:
    """A series moving from start to end with noise, not strictly monotonic."""
    step = (end - start) / max(n - 1, 1)
    return [
        round((start + step * i) * (1 + rng.uniform(-spread, spread)), digits) for i in range(n)
    ]


def points(start: datetime, step_s: int, values: Sequence[float]) -> list[list[Any]]:
    """A timestamped series for the `points` metric form."""
    return [[iso(start + timedelta(seconds=step_s * i), ms=False), v] for i, v in enumerate(values)]


def jline(**fields: Any) -> str:
    """One JSON log line, keys in the given order."""
    return json.dumps(fields, separators=(",", ":"))


def logfmt(**fields: Any) -> str:
    """One logfmt line; values with spaces or quotes are quoted."""
    parts = []
    for key, value in fields.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text == "" or any(c in text for c in ' "='):
            text = '"' + text.replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


def zap(dt: datetime, level: str, caller: str, msg: str, **fields: Any) -> str:
    """One line in zap's production JSON encoding (Go services)."""
    return jline(level=level, ts=iso(dt), caller=caller, msg=msg, **fields)


def go_std(dt: datetime, msg: str) -> str:
    """One line from Go's standard `log` package: `2026/11/20 14:03:11 msg`."""
    return f"{dt.strftime('%Y/%m/%d %H:%M:%S')} {msg}"


def commit(
    sha_hex: str, message: str, author: str, when: datetime, files: Sequence[Any]
) -> dict[str, Any]:
    """A commit record for `recent_commits`.

    Callers write `commit(sha(rng), ..., rng.choice(...), ...)`: arguments are evaluated left to
    right, so the SHA is drawn before a drawn author, as in the dict literals this replaced.
    """
    return {
        "sha": sha_hex,
        "message": message,
        "author": author,
        "timestamp": iso(when, ms=False),
        "files": files,
    }


def innocent_commits(
    rng: random.Random,
    deployed: datetime,
    files_a: Sequence[Any],
    files_b: Sequence[Any],
    files_c: Sequence[Any],
    messages: Sequence[str],
) -> list[dict[str, Any]]:
    """Three unrelated commits (a bot bump and two human changes) before `deployed`."""
    # Per commit the SHA is drawn before the author, the order the scenario files were made in.
    plan = [
        (None, 2, files_a),
        (["e.fischer", "o.adeyemi", "h.tanaka"], 4, files_b),
        (["m.silva", "y.chen", "f.rossi"], 22, files_c),
    ]
    out = []
    for message, (authors, hours, files) in zip(messages, plan, strict=True):
        digest = sha(rng)
        author = "dependabot[bot]" if authors is None else rng.choice(authors)
        out.append(commit(digest, message, author, deployed - timedelta(hours=hours), files))
    return out


def scenario(
    name: str,
    description: str,
    *,
    deployment_id: str,
    service: str,
    deployed: datetime,
    started: datetime | None = None,
    logs: list[str],
    metrics: dict[str, Any],
    commits: list[dict[str, Any]],
    config: dict[str, Any],
    previous_config: dict[str, Any] | None = None,
    category: str,
    suspects: list[str],
    environment: str = "production",
) -> dict[str, Any]:
    """A scenario file's content: incident payload plus the expected answer.

    Optional parts (`started`, `previous_config`) are left out of the payload when None, so
    a scenario without them keeps its exact bytes. Callers pass the arguments in the order
    above: anything drawn from the scenario's RNG (metric noise) is drawn in that order.
    """
    incident: dict[str, Any] = {
        "deployment_id": deployment_id,
        "service": service,
        "environment": environment,
        "deployed_at": iso(deployed, ms=False),
    }
    if started is not None:
        incident["incident_started_at"] = iso(started, ms=False)
    incident["logs"] = logs
    incident["metrics"] = metrics
    incident["recent_commits"] = commits
    incident["config_snapshot"] = config
    if previous_config is not None:
        incident["previous_config_snapshot"] = previous_config
    return {
        "name": name,
        "description": description,
        "incident": incident,
        "expected": {"category": category, "suspects": suspects},
    }


def render(scenario: dict[str, Any]) -> tuple[str, str]:
    """The file name and exact text of a scenario file.

    Raises:
        SystemExit: the scenario has a log count outside 40..400.
    """
    name = f"{scenario['name']}.json"
    n = len(scenario["incident"]["logs"])
    if not 40 <= n <= 400:
        raise SystemExit(f"{name}: {n} log lines, expected 40..400")
    return name, json.dumps(scenario, indent=2, ensure_ascii=False) + "\n"


def write(scenario: dict[str, Any]) -> Path:
    """Write a scenario as pretty JSON named after it."""
    name, text = render(scenario)
    path = OUT_DIR / name
    path.write_text(text)
    return path

#!/usr/bin/env python3
"""Convert the Nezha TrainTicket development day (2023-01-29) into scenario files.

Standard library only. Reads a bare git snapshot of the public repository
`IntelligentDDS/Nezha` (MIT; Yu et al., ESEC/FSE 2023) and writes one scenario file
(`shared/spec/scenario-format.md`) per fault injection of 2023-01-29:

    python tools/datasets/nezha.py --mirror GIT_DIR --out DIR [--commit SHA]

    DIR/nezha-trainticket-dev/nezha-tt-2023-01-29-HHMM-KIND.json

Only 2023-01-29 is read. The other days of the dataset are reserved for acceptance: this
script never lists or reads them (it only ever opens paths under `rca_data/2023-01-29/`),
and no option selects another day. The output folder must be outside the project: the data
is fetched at run time and never committed.

What a scenario holds (nothing is invented; the same content as
`shared/datasets/nezha_dev.py`, so figures are comparable):

- expected: the injected pod and its service from `2023-01-29-fault_list.json`, with the
  category of the fault type (`FAULT_KINDS`). The label's `inject_time` is read as UTC, as
  Nezha's own evaluation does (`inject_timestamp` disagrees with it, mostly by 8 hours);
- logs: the one-minute Loki exports `log/HH_MM_log.csv` from one minute before the injection
  to three after, each row as `<collector timestamp> <pod> <container line>` (the container
  line is the `log` field of the Docker JSON envelope, its newline removed), in time order,
  exact repeats (overlapping exports) dropped. A scenario over the size budget keeps every
  line that is not INFO/DEBUG/TRACE and every k-th of those, with the smallest k that fits;
- metrics: per pod (`metric/<pod>_metric.csv`, cAdvisor + Istio, one row a minute) and for
  the entry point (`metric/front_service.csv`), `{"baseline", "current", "unit"}` windows:
  baseline = the last five rows at most 30 minutes before the injection that fall in no
  earlier fault's window (injection .. +240 s); current = the rows in (injection,
  injection + 200 s]. Non-finite values are dropped; a series with no current value or only
  zeros is dropped;
- no commits, no config, no deploy: the dataset has none.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from snapshot import Snapshot, SnapshotError, outside

DAY = "2023-01-29"  # the development day; every other day is reserved for acceptance
DAY_ROOT = f"rca_data/{DAY}"
PINNED_COMMIT = "d8140101fdb4e7dfb60d3ef9f64706f382b68470"
OUT_FOLDER = "nezha-trainticket-dev"
MAX_FILE_BYTES = 4_500_000  # each scenario file stays under 5 MB
LOG_MINUTES = range(-1, 4)  # minute exports read around an injection
BASELINE_LOOKBACK_S = 1800
BASELINE_ROWS = 5
CURRENT_S = 200
FAULT_WINDOW_S = 240  # an earlier fault's window, kept out of later baselines
THIN_LEVELS = frozenset({"INFO", "DEBUG", "TRACE"})
# Java services log `HH:MM:SS.mmm LEVEL ...` inside the Docker envelope.
_CLOCK_LEVEL = re.compile(r"^\d\d:\d\d:\d\d\.\d+\s+([A-Z]+)\b")

POD_SERIES = {
    "CpuUsageRate(%)": "%",
    "MemoryUsageRate(%)": "%",
    "NetworkReceiveBytes": "B/s",
    "NetworkTransmitBytes": "B/s",
    "PodClientLatencyP90(s)": "s",
    "PodServerLatencyP90(s)": "s",
    "PodServerLatencyP99(s)": "s",
    "PodWorkload(Ops)": "ops/s",
    "PodSuccessRate(%)": "%",
}
ENTRY_SERIES = {
    "SuccessRate(%)": "%",
    "LatencyP50(s)": "s",
    "LatencyP90(s)": "s",
    "LatencyP99(s)": "s",
}

# Fault type -> (accepted categories, what was injected). With no commit to blame, a fault
# injected into running code is honestly "this service's code fails" or, seen from its
# callers, "this dependency fails"; a network delay is the network or a slow dependency.
FAULT_KINDS: dict[str, tuple[list[str], str]] = {
    "cpu_contention": (["resource_exhaustion"], "a CPU stress process in the pod"),
    "cpu_consumed": (
        ["resource_exhaustion", "code_regression"],
        "CPU-burning code in the running service",
    ),
    "network_delay": (
        ["infrastructure", "dependency_failure"],
        "a network delay on the pod's interface",
    ),
    "exception": (
        ["code_regression", "dependency_failure"],
        "an exception thrown by a method at run time",
    ),
    "return": (
        ["code_regression", "dependency_failure"],
        "a wrong return value forced on a method at run time",
    ),
}


@dataclass(frozen=True)
class Fault:
    """One labelled injection."""

    at: int  # unix seconds, UTC
    when: str  # the label's own text, "2023-01-29 08:43:04"
    pod: str
    kind: str


@dataclass(frozen=True)
class LogRow:
    """One exported log row, ready to sort: collector time, export order, the line."""

    ns: int
    order: int
    line: str


# ----------------------------------------------------------------------------- parsing


def service_of(pod: str) -> str:
    """The Deployment of a pod: `ts-basic-service-5dc8d4f9fd-46997` -> `ts-basic-service`."""
    return pod.rsplit("-", 2)[0]


def utc_seconds(label_time: str) -> int:
    """`2023-01-29 08:43:04` read as UTC, in unix seconds."""
    parsed = datetime.strptime(label_time, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(parsed.timestamp())


def iso_utc(seconds: int) -> str:
    """Unix seconds as `2023-01-29T08:43:04Z`."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_fault_list(text: str) -> list[Fault]:
    """The injections of a `*-fault_list.json` (hours -> faults), in time order."""
    by_hour = json.loads(text)
    faults = [
        Fault(
            at=utc_seconds(entry["inject_time"]),
            when=entry["inject_time"],
            pod=entry["inject_pod"],
            kind=entry["inject_type"],
        )
        for hour in sorted(by_hour)
        for entry in by_hour[hour]
    ]
    return sorted(faults, key=lambda fault: fault.at)  # stable: label order breaks ties


def container_line(raw: str) -> str:
    """The application's own line from a Loki row's `Log` (a Docker JSON envelope or text)."""
    try:
        inner = json.loads(raw)["log"]
    except (ValueError, KeyError, TypeError):
        inner = raw
    return str(inner).rstrip("\r\n")


def parse_log_export(text: str, first_order: int = 0) -> list[LogRow]:
    """The rows of one `HH_MM_log.csv` export, oldest first within each stream.

    Loki exported each stream newest first, so the file is read backwards; `order`
    continues from `first_order` so that rows of several files keep one total order.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    return [
        LogRow(
            ns=int(row["TimeUnixNano"]),
            order=first_order + position,
            line=f"{row['Timestamp']} {row['PodName']} {container_line(row['Log'])}",
        )
        for position, row in enumerate(reversed(rows), start=1)
    ]


def merge_logs(rows: Iterable[LogRow]) -> list[str]:
    """Lines in time order (export order breaks ties), exact repeats at one instant dropped."""
    seen: set[tuple[int, str]] = set()
    lines: list[str] = []
    for row in sorted(rows, key=lambda r: (r.ns, r.order)):
        key = (row.ns, row.line)
        if key not in seen:
            seen.add(key)
            lines.append(row.line)
    return lines


def trainticket_level(container: str) -> str:
    """The level of a TrainTicket container line (`16:42:22.382 INFO ...` or JSON), or ''."""
    match = _CLOCK_LEVEL.match(container)
    if match:
        return match.group(1)
    if container.startswith("{"):
        try:
            document = json.loads(container)
        except ValueError:
            return ""
        if isinstance(document, dict):
            for key in ("severity", "level", "lvl"):
                value = document.get(key)
                if isinstance(value, str):
                    return value.upper()
    return ""


def _container_part(line: str) -> str:
    parts = line.split(" ", 2)
    return parts[2] if len(parts) == 3 else line


def _encoded_size(lines: Sequence[str]) -> int:
    return sum(len(json.dumps(line)) + 2 for line in lines)


def thin_logs(lines: list[str], budget: int) -> tuple[list[str], int]:
    """Fit `lines` in `budget` bytes by keeping every k-th INFO/DEBUG/TRACE line.

    Other lines (warnings, errors, unlevelled text) are always kept; the rule never looks
    at the label. Returns the lines and k (1: nothing dropped). When even k = 1000 is too
    big, the lines are returned whole with k = 1000, as a signal that nothing fitted.
    """
    if _encoded_size(lines) <= budget:
        return lines, 1
    levels = [trainticket_level(_container_part(line)) in THIN_LEVELS for line in lines]
    for k in range(2, 1001):
        kept: list[str] = []
        seen_thinnable = 0
        for line, thinnable in zip(lines, levels, strict=True):
            if thinnable:
                seen_thinnable += 1
                if seen_thinnable % k:
                    continue
            kept.append(line)
        if _encoded_size(kept) <= budget:
            return kept, k
    return lines, 1000


def parse_metric_rows(text: str) -> list[dict[str, str]]:
    """The rows of a metric CSV, in `TimeStamp` order."""
    return sorted(csv.DictReader(io.StringIO(text)), key=lambda row: int(row["TimeStamp"]))


def split_windows(
    rows: Sequence[dict[str, str]], inject: int, busy: Sequence[tuple[int, int]]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(baseline rows, current rows) around an injection; see the module docstring."""

    def quiet(ts: int) -> bool:
        return not any(start <= ts < end for start, end in busy)

    before = [
        row
        for row in rows
        if inject - BASELINE_LOOKBACK_S <= int(row["TimeStamp"]) <= inject
        and quiet(int(row["TimeStamp"]))
    ]
    current = [row for row in rows if inject < int(row["TimeStamp"]) <= inject + CURRENT_S]
    return before[-BASELINE_ROWS:], current


def _number(text: str | None) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def column_series(
    baseline_rows: Sequence[dict[str, str]],
    current_rows: Sequence[dict[str, str]],
    column: str,
    unit: str,
) -> dict[str, Any] | None:
    """One column as `{"baseline", "current", "unit"}`, or None when it says nothing."""
    baseline = [v for v in (_number(r.get(column)) for r in baseline_rows) if v is not None]
    current = [v for v in (_number(r.get(column)) for r in current_rows) if v is not None]
    if not current or all(v == 0 for v in [*baseline, *current]):
        return None
    return {
        "baseline": [round(v, 6) for v in baseline] if baseline else None,
        "current": [round(v, 6) for v in current],
        "unit": unit,
    }


def window_metrics(
    tables: dict[str, list[dict[str, str]]], inject: int, busy: Sequence[tuple[int, int]]
) -> dict[str, dict[str, Any]]:
    """Every kept series of one injection, keyed `<service>.<column>` or `entry.<column>`.

    `tables` maps a metric file name to its rows, in the snapshot's file order.
    """
    metrics: dict[str, dict[str, Any]] = {}
    for name, rows in tables.items():
        if name.endswith("_metric.csv"):
            prefix, columns = service_of(name.removesuffix("_metric.csv")), POD_SERIES
        elif name == "front_service.csv":
            prefix, columns = "entry", ENTRY_SERIES
        else:
            continue
        baseline_rows, current_rows = split_windows(rows, inject, busy)
        for column, unit in columns.items():
            series = column_series(baseline_rows, current_rows, column, unit)
            if series is not None:
                metrics[f"{prefix}.{column}"] = series
    return dict(sorted(metrics.items()))


def export_minutes(inject: int, available: set[str]) -> list[str]:
    """The `HH_MM` exports kept for an injection, from one minute before to three after."""
    minutes: list[str] = []
    for delta in LOG_MINUTES:
        key = datetime.fromtimestamp(inject + 60 * delta, tz=UTC).strftime("%H_%M")
        if key in available and key not in minutes:
            minutes.append(key)
    return minutes


# ----------------------------------------------------------------------------- scenarios


def scenario_name(fault: Fault) -> str:
    """`nezha-tt-2023-01-29-0843-return` (the shared converter's names)."""
    hhmm = datetime.fromtimestamp(fault.at, tz=UTC).strftime("%H%M")
    return f"nezha-tt-{DAY}-{hhmm}-{fault.kind.replace('_', '-')}"


def build_scenario(
    fault: Fault,
    lines: list[str],
    thinned_every: int,
    files: Sequence[str],
    metrics: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The scenario document of one injection."""
    if fault.kind not in FAULT_KINDS:
        raise SnapshotError(f"{fault.when}: unknown inject_type {fault.kind!r}")
    categories, what = FAULT_KINDS[fault.kind]
    if files:
        logs_said = f"{len(lines)} log lines from {', '.join(files)}"
        if thinned_every > 1:
            logs_said += f" (every {thinned_every}-th INFO/DEBUG/TRACE line kept)"
    else:
        logs_said = "no log lines (no export of these minutes in the snapshot)"
    return {
        "name": scenario_name(fault),
        "description": (
            f"Nezha TrainTicket testbed, {fault.when} UTC: {fault.kind} ({what}) injected "
            f"into pod {fault.pod} for 3 minutes. Label: {DAY_ROOT}/{DAY}-fault_list.json. "
            f"{logs_said}; {len(metrics)} pod and entry metric series (baseline: up to "
            f"{BASELINE_ROWS} fault-free minutes before; current: the first {CURRENT_S} s). "
            "The dataset has no commits, config or deploy. Converted by "
            "tools/datasets/nezha.py."
        ),
        "incident": {
            "deployment_id": f"trainticket-testbed-{DAY}",
            "environment": "nezha-testbed",
            "incident_started_at": iso_utc(fault.at),
            "logs": lines,
            "metrics": metrics,
            "recent_commits": [],
            "config_snapshot": {},
        },
        "expected": {
            "category": categories if len(categories) > 1 else categories[0],
            "suspects": [service_of(fault.pod), fault.pod],
        },
    }


class DevDay:
    """The development day of one snapshot, each file read once and kept."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.faults = parse_fault_list(snapshot.text(f"{DAY_ROOT}/{DAY}-fault_list.json"))
        self.exports = {name[:5] for name in snapshot.names(f"{DAY_ROOT}/log")}
        self._log_rows: dict[str, list[LogRow]] = {}
        self._order = 0
        self.tables = {
            name: parse_metric_rows(snapshot.text(f"{DAY_ROOT}/metric/{name}"))
            for name in snapshot.names(f"{DAY_ROOT}/metric")
            if name.endswith(".csv")
        }

    def _rows(self, minute: str) -> list[LogRow]:
        if minute not in self._log_rows:
            text = self.snapshot.text(f"{DAY_ROOT}/log/{minute}_log.csv")
            rows = parse_log_export(text, self._order)
            self._order += len(rows)
            self._log_rows[minute] = rows
        return self._log_rows[minute]

    def scenario(self, fault: Fault) -> dict[str, Any]:
        """The scenario of one injection of this day."""
        minutes = export_minutes(fault.at, self.exports)
        lines = merge_logs(row for minute in minutes for row in self._rows(minute))
        busy = [(f.at, f.at + FAULT_WINDOW_S) for f in self.faults if f.at < fault.at]
        metrics = window_metrics(self.tables, fault.at, busy)
        budget = MAX_FILE_BYTES - len(json.dumps(metrics)) - 20_000
        lines, every = thin_logs(lines, budget)
        files = [f"{minute}_log.csv" for minute in minutes]
        return build_scenario(fault, lines, every, files, metrics)


def write_scenario(folder: Path, scenario: dict[str, Any]) -> Path:
    """Write one scenario as `<name>.json` (UTF-8, one-space indent, no NaN)."""
    path = folder / f"{scenario['name']}.json"
    with path.open("w", encoding="utf-8") as handle:
        json.dump(scenario, handle, indent=1, ensure_ascii=False, allow_nan=False)
        handle.write("\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mirror", required=True, help="bare git dir of IntelligentDDS/Nezha")
    parser.add_argument("--out", required=True, help="output folder, outside the project")
    parser.add_argument("--commit", default=PINNED_COMMIT, help="commit to read (default: pinned)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    project = Path(__file__).resolve().parents[2]
    if not outside(out, project):
        print(f"nezha: --out {out}: must be outside the project ({project})", file=sys.stderr)
        return 2
    snapshot = Snapshot(args.mirror, args.commit)
    try:
        snapshot.check()
        day = DevDay(snapshot)
        folder = out / OUT_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for fault in day.faults:
            scenario = day.scenario(fault)
            path = write_scenario(folder, scenario)
            incident = scenario["incident"]
            print(
                f"{path}  {path.stat().st_size / 1e6:.2f} MB  logs={len(incident['logs'])} "
                f"metrics={len(incident['metrics'])}  expected={scenario['expected']['category']}"
                f" {scenario['expected']['suspects'][0]}"
            )
    except SnapshotError as exc:
        print(f"nezha: --mirror {args.mirror} @ {args.commit}: {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as exc:
        print(f"nezha: unexpected data in the snapshot: {exc!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

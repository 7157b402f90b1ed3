"""The history store's costs: `alpha history` on 100,000 runs, and what recording adds.

Run: `python bench/history.py [--runs 5] [--stored 100000] [--big-lines 1000000]`

1. `alpha history` on `--stored` runs in an SQLite file (goal: under 200 ms). The runs are
   written in bulk (each with a realistic small result, about 2 KB, and no payload), then
   the newest 20 are listed, all of them, of one deployment and of one service: medians of
   the in-process query (`SQLHistoryStore.history`), and of the `alpha history --json`
   command (process start and imports included).
2. What recording costs beside the engine, in process, per bundled scenario and on a
   payload of `--big-lines` generated log lines, measured side by side in one run:
   `engine` is `sre.engine.investigate` with the run's redactor, as the CLI runs it (it
   learns the incident's secrets); `capture` is the payload capped and both payload
   and result through the redaction boundary; `spool` is `capture` plus the spool file the
   CLI writes on SQLite (`sre.history.spool`); `write` is `capture` plus the transaction a
   database server (or the bot) gets. Ratios to `engine`; medians of `--runs`. The bot
   records after its final message, so there this is throughput, not latency.
3. What the user waits for: `alpha investigate --payload FILE --json` with and without
   `--no-store`, interleaved (medians), for the demo incident.

Everything runs in a temporary folder (`XDG_DATA_HOME` and `ALPHA_DATABASE_URL` pointed
at it), nothing is left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_throughput import DEPLOY, generate
from sqlalchemy import insert

from alpha.schemas import (
    AgentOutcome,
    AgentStatus,
    ExecutionResult,
    IncidentInput,
    RankedHypothesis,
)
from sre.engine import investigate
from sre.history.capture import capture
from sre.history.records import RunContext, RunRecord
from sre.history.spool import spool_run
from sre.history.store import _investigation_row, open_store
from sre.history.tables import Investigation
from sre.redaction import Redactor
from sre.scenarios import load_bundled, scenario_names, scenario_paths

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SERVICES = [f"service-{n}" for n in range(40)]


def _small_result(index: int) -> ExecutionResult:
    return ExecutionResult(
        execution_id=f"{index:012x}",
        deployment_id=f"deploy-{index // 5}",
        ranked_hypotheses=[
            RankedHypothesis(
                label="database.pool_size lowered 50 -> 10",
                category="config_change",
                suspects=["database.pool_size", "5ae6cd2"],
                supporting_signals=["sig_001", "sig_004"],
                confidence=0.9,
                score=0.9,
                rank=1,
                contributing_agents=["ConfigAgent", "MetricsAgent"],
            )
        ],
        agent_outcomes=[
            AgentOutcome(agent_name=name, status=AgentStatus.OK, execution_time_ms=12.0)
            for name in ("LogAgent", "MetricsAgent", "CommitAgent", "ConfigAgent")
        ],
        summary="The pool was shrunk in commit 5ae6cd2; checkout times out waiting for it.",
        next_actions=["Restore database.pool_size 10 -> 50", "Revert commit 5ae6cd2"],
        execution_time_ms=80.0,
    )


async def _fill(url: str, count: int) -> None:
    async with open_store(url) as store:
        batch: list[dict[str, object]] = []
        for index in range(count):
            started = T0 + timedelta(minutes=index)
            record = RunRecord(
                context=RunContext(trigger="alert", requested_by="sentry", origin="slack:C1"),
                result=_small_result(index),
                service=SERVICES[index % len(SERVICES)],
                started_at=started,
                finished_at=started + timedelta(seconds=3),
                engine_version="bench",
            )
            batch.append(_investigation_row(record))
            if len(batch) == 5000:
                async with store.engine.begin() as connection:
                    await connection.execute(insert(Investigation), batch)
                batch = []
        if batch:
            async with store.engine.begin() as connection:
                await connection.execute(insert(Investigation), batch)


async def _queries(url: str, runs: int, deployment: str) -> dict[str, float]:
    times: dict[str, list[float]] = {"newest 20": [], "one deployment": [], "one service": []}
    async with open_store(url) as store:
        await store.history()  # connection and schema check out of the measure
        for _ in range(runs):
            for name, kwargs in (
                ("newest 20", {}),
                ("one deployment", {"deployment_id": deployment}),
                ("one service", {"service": "service-7"}),
            ):
                start = time.perf_counter()
                found = await store.history(**kwargs)  # type: ignore[arg-type]
                times[name].append(time.perf_counter() - start)
                assert found, name
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def _command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sre", *argv], check=True, stdout=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - start


def bench_history(stored: int, runs: int, folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'history.db'}"
    start = time.perf_counter()
    asyncio.run(_fill(url, stored))
    size = (folder / "history.db").stat().st_size / 1e6
    print(f"{stored:,} runs written in {time.perf_counter() - start:.0f} s ({size:.0f} MB)")
    for name, ms in asyncio.run(_queries(url, runs, f"deploy-{stored // 10}")).items():
        print(f"  history, {name:15s} in-process {ms:7.2f} ms (median of {runs}; goal < 200)")
    env = {**os.environ, "ALPHA_DATABASE_URL": url}
    wall = statistics.median(_command(["history", "--json"], env) for _ in range(runs))
    version = statistics.median(_command(["scenarios"], env) for _ in range(runs))
    print(
        f"  `alpha history --json` command {wall * 1000:.0f} ms wall (median of {runs}); "
        f"`alpha scenarios` (start-up alone) {version * 1000:.0f} ms"
    )


async def _write(url: str, record: RunRecord) -> float:
    async with open_store(url) as store:
        start = time.perf_counter()
        await store.record(record)
        return time.perf_counter() - start


def _measure(incident: IncidentInput, url: str, folder: Path, runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {"engine": [], "capture": [], "spool": [], "write": []}
    for _ in range(runs):
        # As the CLI runs it: the engine's redactor (which learned the incident) is the one
        # the output is shown with and the record is captured with.
        redactor = Redactor()
        start = time.perf_counter()
        result = asyncio.run(investigate(incident, redactor=redactor))
        times["engine"].append(time.perf_counter() - start)
        start = time.perf_counter()
        record = capture(incident, result, RunContext(trigger="cli"), redactor=redactor)
        captured = time.perf_counter() - start
        times["capture"].append(captured)
        start = time.perf_counter()
        spool_run(folder, record)
        times["spool"].append(captured + time.perf_counter() - start)
        for path in folder.iterdir():
            path.unlink()
        written = capture(incident, result, RunContext(trigger="cli"))
        times["write"].append(captured + asyncio.run(_write(url, written)))
    return {name: statistics.median(values) for name, values in times.items()}


def bench_recording(runs: int, big_lines: int, folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'recording.db'}"
    spool = folder / "bench.spool"
    print(
        f"\n{'scenario':30s} {'engine ms':>9s} {'capture':>8s} {'spool':>8s} {'write':>8s}"
        f" {'spool/engine':>13s} {'write/engine':>13s}"
    )
    rows = []
    for name in scenario_names():
        row = _measure(load_bundled(name).incident, url, spool, runs)
        rows.append(row)
        _print_row(name, row)
    medians = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    _print_row("median over scenarios", medians)
    if big_lines:
        document = load_bundled("incident_b").incident.model_dump(mode="json")
        document["logs"], _ = generate(big_lines)
        document["deployed_at"] = DEPLOY.isoformat()
        document["incident_started_at"] = None
        big = IncidentInput.model_validate(document)
        _print_row(f"{big_lines:,} log lines (1 run)", _measure(big, url, spool, 1))


def _print_row(name: str, row: dict[str, float]) -> None:
    engine = row["engine"]
    print(
        f"{name:30s} {engine * 1000:9.1f} {row['capture'] * 1000:8.1f} {row['spool'] * 1000:8.1f}"
        f" {row['write'] * 1000:8.1f} {row['spool'] / engine:13.0%} {row['write'] / engine:13.0%}"
    )


def bench_command(runs: int, folder: Path) -> None:
    path = next(p for p in scenario_paths() if p.stem == "incident_b")
    env = {**os.environ, "ALPHA_DATABASE_URL": f"sqlite:///{folder / 'command.db'}"}
    argv = ["investigate", "--payload", str(path), "--json"]
    with_store, without = [], []
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        with_store.append(_command(argv, env))
        without.append(_command([*argv, "--no-store"], env))
    a, b = statistics.median(with_store), statistics.median(without)
    print(
        f"\n`alpha investigate --payload incident_b.json --json`: {a * 1000:.0f} ms recorded, "
        f"{b * 1000:.0f} ms with --no-store (+{(a - b) / b:.0%}; medians of {runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--big-lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["XDG_DATA_HOME"] = str(folder)
        if args.stored:
            bench_history(args.stored, args.runs, folder)
        bench_recording(args.runs, args.big_lines, folder)
        bench_command(args.runs, folder)
    print(json.dumps({"note": "figures above; nothing is asserted"}))


if __name__ == "__main__":
    main()

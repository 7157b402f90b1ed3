"""End-to-end time of `alpha investigate` on each bundled scenario and on a 1M-line payload.

Run: `python bench/investigate.py [--runs 5] [--big-lines 1000000] [--wide-runs 5]
[--vs COMMAND [--vs-runs 7] [--big-payload FILE]]`

For each bundled scenario: the median in-process time of `sre.engine.investigate` (the
engine alone) next to the median wall time of the `alpha investigate --payload FILE --json`
command (process start, imports, JSON parsing and output included). Then the same command on
a payload of `--big-lines` generated log lines (the incident_b story plus realistic noise),
with its peak resident memory.

Then a wide, alert-driven payload (`bench/wide_payload.py`: 30 services, 300 metric series,
7,000 log lines, no deploy): the engine's median time (goal: under 1 s).

With `--vs COMMAND` (another engine's `alpha investigate`, e.g. an older checkout's
`.venv/bin/alpha investigate`), the 1M-line payload (or `--big-payload FILE`) goes through
this checkout's command and that one in turn, `--vs-runs` pairs: medians of each one's wall
and CPU seconds (the child's user + system time) and the median of the paired ratios, which
keeps the comparison fair when the machine's speed drifts. The commands run with `--json`
(and this checkout's with `--no-store`: recording is measured by `bench/history.py`).

The bench directory is put on sys.path to reuse the throughput bench's line generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_throughput import DEPLOY, generate
from wide_payload import wide_incident

from sre.engine import investigate
from sre.scenarios import load_bundled, scenario_names, scenario_paths


def _cli(path: Path) -> float:
    return _timed(_ours(path))[0]


def _ours(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sre",
        "investigate",
        "--payload",
        str(path),
        "--json",
        "--no-store",
    ]


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _engine(name: str, runs: int) -> float:
    incident = load_bundled(name).incident
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        asyncio.run(investigate(incident))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_scenarios(runs: int) -> None:
    print(f"{'scenario':34s} {'engine ms':>10s} {'command ms':>11s}   (medians of {runs})")
    paths = {p.stem: p for p in scenario_paths()}
    engine_all, cli_all = [], []
    for name in scenario_names():
        engine = _engine(name, runs)
        cli = statistics.median(_cli(paths[name]) for _ in range(max(1, runs // 2 + 1)))
        engine_all.append(engine)
        cli_all.append(cli)
        print(f"{name:34s} {engine * 1000:10.1f} {cli * 1000:11.1f}")
    print(
        f"{'median over scenarios':34s} {statistics.median(engine_all) * 1000:10.1f} "
        f"{statistics.median(cli_all) * 1000:11.1f}"
    )


def _big_payload(lines: int, path: Path) -> int:
    # The incident_b payload (metrics, commits, config) with the log lines replaced by the
    # throughput bench's generated story: mixed formats, a deploy at its middle, new errors.
    incident = load_bundled("incident_b").incident.model_dump(mode="json")
    incident["logs"], _ = generate(lines)
    incident["deployed_at"] = DEPLOY.isoformat()
    incident["incident_started_at"] = None
    path.write_text(json.dumps(incident))
    return len(incident["logs"])


def bench_big(lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        count = _big_payload(lines, path)
        size_mb = path.stat().st_size / 1e6
        wall = _cli(path)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"\n{count:,}-line payload ({size_mb:.0f} MB): "
        f"`alpha investigate --payload` {wall:.1f} s wall, peak RSS {peak_mb:.0f} MB"
    )


def bench_vs(other: str, runs: int, lines: int, payload: Path | None) -> None:
    """This checkout's command and `other` on one big payload, in turn (see the docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = payload or Path(tmp) / "big.json"
        if payload is None:
            _big_payload(lines, path)
        ours, theirs = _ours(path), [*shlex.split(other), "--payload", str(path), "--json"]
        _timed(ours), _timed(theirs)  # warm-up: file caches, not counted
        pairs = [(_timed(ours), _timed(theirs)) for _ in range(runs)]
    print(f"\n{path.name} here (A) and through `{other}` (B), {runs} pairs in turn (medians):")
    for index, what in enumerate(("wall", "cpu")):
        a = statistics.median(pair[0][index] for pair in pairs)
        b = statistics.median(pair[1][index] for pair in pairs)
        ratio = statistics.median(pair[0][index] / pair[1][index] for pair in pairs)
        print(f"  {what:4s} A {a:6.2f} s   B {b:6.2f} s   A/B (median of pairs) x{ratio:.3f}")


def bench_wide(runs: int) -> None:
    from alpha.schemas import IncidentInput

    incident = IncidentInput.model_validate(wide_incident())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = asyncio.run(investigate(incident))
        times.append(time.perf_counter() - start)
    top = result.ranked_hypotheses[0].label if result.ranked_hypotheses else "nothing"
    print(
        f"\nwide payload ({len(incident.metrics)} series, {len(incident.logs):,} lines, no deploy):"
        f" engine {statistics.median(times) * 1000:.0f} ms median of {runs} (goal < 1000 ms);"
        f" ranked first: {top}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-lines", type=int, default=1_000_000)
    parser.add_argument("--wide-runs", type=int, default=5)
    parser.add_argument("--vs", metavar="COMMAND", help="another `alpha investigate` to pair with")
    parser.add_argument("--vs-runs", type=int, default=7)
    parser.add_argument("--big-payload", type=Path, help="with --vs: this payload, not a new one")
    args = parser.parse_args()
    if args.vs:
        bench_vs(args.vs, args.vs_runs, args.big_lines, args.big_payload)
        return
    bench_scenarios(args.runs)
    if args.wide_runs:
        bench_wide(args.wide_runs)
    if args.big_lines:
        bench_big(args.big_lines)


if __name__ == "__main__":
    main()

"""Log extraction throughput and template grouping accuracy, side by side with drain3.

Run: `python bench/extract_throughput.py [--sizes 100000,1000000] [--runs 3]`

Output check: `--save-snapshot FILE` writes what `extract_logs` returns on a fixed corpus
(the generated bench lines at each size, every scenario in `sre/scenarios/` and
`tests/sre/heldout/`, and seeded digit-perturbed, repeated copies of those scenarios' logs);
`--check-snapshot FILE` recomputes it and reports every input whose `LogExtraction` differs.
Take the snapshot before an optimisation and check it after: the findings must not change.

Prints, for each size: lines/s of `extract_logs` (the whole log extractor), of
`mine_templates` alone, and of `drain3.TemplateMiner` (default config) fed the same raw
lines; the ratios to drain3; and peak memory of `extract_logs` (tracemalloc, allocations
made by the extraction itself) as a multiple of the raw input size (sum of UTF-8 line
lengths). Then the grouping accuracy (Loghub's GA: a line is right when its predicted group
has exactly the lines of its true group) of `mine_templates` and drain3 on generated lines
whose true templates are known. Medians over `--runs` runs; drain3 runs once above 200k
lines (it is slow), which the output says.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alpha.schemas import IncidentInput
from sre.extractors.logs.extract import extract_logs, mine_templates
from sre.extractors.logs.parse import parse_line
from sre.payload import load_scenario

DEPLOY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
_USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
_HOSTS = ["inventory-svc", "payments.internal", "auth.internal", "search-api", "ledger"]
_PATHS = ["/api/orders", "/api/cart", "/api/users", "/healthz", "/api/search"]
_WORDS = ["checkout", "refund", "invoice", "shipment", "profile", "session", "token"]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# (true template id, renderer). Variables: numbers, ids, hex, IPs, words from small sets.
_TEMPLATES: list[Callable[[random.Random], str]] = [
    lambda r: (
        f"request {r.choice(['GET', 'POST'])} {r.choice(_PATHS)}/{r.randint(1, 9999)} "
        f"took {r.randint(1, 900)}ms status={r.choice([200, 201, 204])}"
    ),
    lambda r: (
        f"user {r.choice(_USERS)} logged in from {r.randint(1, 255)}.{r.randint(0, 255)}"
        f".{r.randint(0, 255)}.{r.randint(1, 254)}"
    ),
    lambda r: f"cache miss for key user:{r.randint(1, 99999)} in region eu-west-{r.randint(1, 3)}",
    lambda r: (
        f"processed batch {r.randint(1, 500)} of {r.randint(500, 900)} records in {r.random():.3f}s"
    ),
    lambda r: f"session {_hex(r, 16)} expired after {r.randint(1, 60)} minutes",
    lambda r: f"order {r.randint(10000, 99999)} shipped to {r.choice(_USERS)}@example.com",
    lambda r: f"scheduled job {r.choice(_WORDS)}-sync started",
    lambda r: (
        f"connection pool stats: active={r.randint(0, 50)} idle={r.randint(0, 50)} "
        f"waiting={r.randint(0, 9)}"
    ),
    lambda r: f"retrying call to {r.choice(_HOSTS)} attempt {r.randint(1, 5)}",
    lambda r: f"feature flag {r.choice(_WORDS)}_v2 evaluated to {r.choice(['true', 'false'])}",
    lambda r: (
        f"Completed {r.choice(_WORDS)} for account {_hex(r, 8)}-{_hex(r, 4)}-{_hex(r, 4)}"
        f"-{_hex(r, 4)}-{_hex(r, 12)}"
    ),
    lambda r: f"GC pause {r.randint(1, 300)}ms heap={r.randint(100, 4000)}MB",
]
_AFTER_TEMPLATES: list[Callable[[random.Random], str]] = [
    lambda r: f"connect to payments.internal:443 timed out after {r.randint(1000, 5000)}ms",
    lambda r: f"dial tcp 10.0.3.{r.randint(2, 9)}:5432: connect: connection refused",
    lambda r: (
        f"upstream request failed: http://inventory-svc:8080/items/{r.randint(1, 999)} returned 503"
    ),
]
_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/app/app/db/pool.py", line 42, in acquire',
    "    conn = self._pool.get(timeout=5)",
    '  File "/usr/local/lib/python3.11/site-packages/psycopg2/pool.py", line 88, in get',
    "psycopg2.OperationalError: connection pool exhausted",
]


def _format(r: random.Random, ts: datetime, level: str, msg: str) -> str:
    iso = ts.isoformat().replace("+00:00", "Z")
    style = r.random()
    if style < 0.6:
        return f"{iso} {level} {msg}"
    if style < 0.8:
        return f'{{"ts": "{iso}", "level": "{level.lower()}", "msg": "{msg}"}}'
    return f'time={iso} level={level.lower()} msg="{msg}"'


def generate(n: int, seed: int = 7) -> tuple[list[str], list[int]]:
    """`n` realistic lines (mixed formats, a deploy at the middle, some stack traces) and the
    true template id of each line (-1 for stack-trace continuation lines)."""
    r = random.Random(seed)
    start = DEPLOY - timedelta(minutes=30)
    step = timedelta(minutes=60) / max(n, 1)
    lines: list[str] = []
    truth: list[int] = []
    while len(lines) < n:
        ts = start + step * len(lines)
        after = ts >= DEPLOY
        if after and r.random() < 0.15:
            k = r.randrange(len(_AFTER_TEMPLATES))
            lines.append(_format(r, ts, "ERROR", _AFTER_TEMPLATES[k](r)))
            truth.append(100 + k)
        elif after and r.random() < 0.01:
            lines.append(_format(r, ts, "ERROR", "checkout failed"))
            truth.append(200)
            lines.extend(_TRACEBACK)
            truth.extend([-1] * len(_TRACEBACK))
        else:
            k = r.randrange(len(_TEMPLATES))
            level = "WARN" if k in (2, 8) else "INFO"
            lines.append(_format(r, ts, level, _TEMPLATES[k](r)))
            truth.append(k)
    return lines[:n], truth[:n]


def grouping_accuracy(predicted: list[str], truth: list[int]) -> float:
    """Loghub GA: share of lines whose predicted group equals their true group."""
    pred_groups: dict[str, set[int]] = defaultdict(set)
    true_groups: dict[int, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        pred_groups[p].add(i)
        true_groups[t].add(i)
    correct = sum(
        len(true_groups[t])
        for t in true_groups
        if (ids := true_groups[t]) and pred_groups[predicted[next(iter(ids))]] == ids
    )
    return correct / len(truth)


def _drain3(lines: list[str]) -> list[str]:
    from drain3 import TemplateMiner

    miner = TemplateMiner()
    return [str(miner.add_log_message(line)["cluster_id"]) for line in lines]


def _timed(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _peak_ratio(lines: list[str], incident: IncidentInput) -> float:
    raw = sum(len(line.encode()) for line in lines)
    tracemalloc.start()
    extract_logs(incident)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / raw


def bench_size(n: int, runs: int) -> None:
    """Print throughput and memory for `n` lines."""
    lines, _ = generate(n)
    incident = _bench_incident(lines)
    t_extract = _timed(lambda: extract_logs(incident), runs)
    t_mine = _timed(lambda: mine_templates(lines), runs)
    d_runs = runs if n <= 200_000 else 1
    t_drain = _timed(lambda: _drain3(lines), d_runs)
    contents = [parse_line(line).message for line in lines]
    t_drain_msg = _timed(lambda: _drain3(contents), d_runs)
    mem = _peak_ratio(lines, incident)
    print(f"\n{n:,} lines (median of {runs} runs; drain3: {d_runs} run(s))")
    print(f"  {'':<28}{'lines/s':>12}{'x drain3':>10}")
    for name, t in (("extract_logs (full)", t_extract), ("mine_templates", t_mine)):
        print(f"  {name:<28}{n / t:>12,.0f}{t_drain / t:>10.2f}")
    print(f"  {'drain3.TemplateMiner':<28}{n / t_drain:>12,.0f}{1.0:>10.2f}")
    label = "drain3 (message only)*"
    print(f"  {label:<28}{n / t_drain_msg:>12,.0f}{t_drain / t_drain_msg:>10.2f}")
    print("  * drain3 fed the messages with headers already stripped (not the same lines)")
    print(f"  extract_logs peak memory (tracemalloc): {mem:.2f}x raw input bytes")


# A harder set for grouping: variables without digits (names, states, hosts), templates
# that share most words, and templates of equal length and first word.
_STATES = ["RUNNING", "PENDING", "FAILED", "DONE", "KILLED"]
_HARD: list[Callable[[random.Random], str]] = [
    lambda r: (
        f"job {r.choice(_WORDS)} changed state from {r.choice(_STATES)} to {r.choice(_STATES)}"
    ),
    lambda r: f"job {r.choice(_WORDS)} was submitted by {r.choice(_USERS)}",
    lambda r: f"job {r.choice(_WORDS)} finished in {r.randint(1, 99)} seconds",
    lambda r: (
        f"Receiving block blk_{r.randint(10**9, 10**10)} src: /10.250.{r.randint(0, 255)}"
        f".{r.randint(0, 255)}:50010 dest: /10.250.{r.randint(0, 255)}.{r.randint(0, 255)}:50010"
    ),
    lambda r: (
        f"PacketResponder {r.randint(0, 2)} for block blk_{r.randint(10**9, 10**10)} terminating"
    ),
    lambda r: f"Verification succeeded for blk_{r.randint(10**9, 10**10)}",
    lambda r: f"session opened for user {r.choice(_USERS)} by (uid={r.randint(0, 999)})",
    lambda r: f"session closed for user {r.choice(_USERS)}",
    lambda r: (
        f"Failed password for {r.choice(_USERS)} from {r.randint(1, 255)}.{r.randint(0, 255)}"
        f".{r.randint(0, 255)}.{r.randint(0, 255)} port {r.randint(1024, 65535)} ssh2"
    ),
    lambda r: (
        f"Accepted password for {r.choice(_USERS)} from {r.randint(1, 255)}.{r.randint(0, 9)}"
        f".{r.randint(0, 9)}.{r.randint(0, 9)} port {r.randint(1024, 65535)} ssh2"
    ),
    lambda r: (
        f"Connection closed by {r.randint(1, 255)}.{r.randint(0, 9)}.{r.randint(0, 9)}"
        f".{r.randint(0, 9)} [preauth]"
    ),
    lambda r: f"calling {r.choice(_HOSTS)} for {r.choice(_WORDS)}",
    lambda r: f"cache hit ratio {r.random():.2f} for {r.choice(_WORDS)} cache",
    lambda r: f"worker {r.choice(_USERS)}-{r.randint(1, 9)} heartbeat ok",
    lambda r: f"worker {r.choice(_USERS)}-{r.randint(1, 9)} lost connection to broker",
    lambda r: f"Starting {r.choice(_WORDS)} service",
    lambda r: f"Stopping {r.choice(_WORDS)} service",
    lambda r: f"user {r.choice(_USERS)} updated profile field {r.choice(_WORDS)}",
    lambda r: f"user {r.choice(_USERS)} deleted {r.choice(_WORDS)} {r.randint(1, 99999)}",
    lambda r: f"Exception in request {_hex(r, 12)}: {r.choice(['timeout', 'refused', 'reset'])}",
    # Two templates differing in one word out of four: Drain-style similarity merges them.
    lambda r: f"connection from {r.choice(_HOSTS)} accepted",
    lambda r: f"connection from {r.choice(_HOSTS)} rejected",
]


def generate_hard(n: int, seed: int = 3) -> tuple[list[str], list[int]]:
    """`n` lines from `_HARD` (with a timestamp/level header) and their true template ids."""
    r = random.Random(seed)
    lines, truth = [], []
    for i in range(n):
        k = r.randrange(len(_HARD))
        lines.append(_format(r, DEPLOY + timedelta(seconds=i), "INFO", _HARD[k](r)))
        truth.append(k)
    return lines, truth


def bench_accuracy(n: int) -> None:
    """Print grouping accuracy of our miner and drain3 on generated lines."""
    easy_lines, easy_truth = generate(n, seed=11)
    # Only first lines of records have a template; traces are out of scope for GA.
    keep = [i for i, t in enumerate(easy_truth) if t >= 0]
    sets = {
        "realistic": ([easy_lines[i] for i in keep], [easy_truth[i] for i in keep]),
        "hard": generate_hard(n),
    }
    for name, (lines, truth) in sets.items():
        contents = [parse_line(line).message for line in lines]
        ours = grouping_accuracy(mine_templates(lines), truth)
        d_raw = grouping_accuracy(_drain3(lines), truth)
        d_msg = grouping_accuracy(_drain3(contents), truth)
        print(
            f"\nGrouping accuracy (GA), {name} set: {len(lines):,} lines, "
            f"{len(set(truth))} true templates"
        )
        print(f"  mine_templates (raw lines)      {ours:.3f}")
        print(f"  drain3 default (raw lines)      {d_raw:.3f}")
        print(f"  drain3 default (message only)   {d_msg:.3f}")


_ROOT = Path(__file__).resolve().parent.parent
_SCENARIO_DIRS = (_ROOT / "sre" / "scenarios", _ROOT / "tests" / "sre" / "heldout")


def _perturbed(logs: list[str], seed: int) -> list[str]:
    """Each line three times, with some digits changed: real formats, many repeated shapes,
    and some impossible times (month 19), so the cached and uncached paths both run."""
    r = random.Random(seed)
    out = []
    for line in logs:
        for _ in range(3):
            out.append(
                "".join(
                    str(r.randrange(10)) if c.isdigit() and r.random() < 0.2 else c for c in line
                )
            )
    return out


def snapshot_corpus(sizes: list[int]) -> dict[str, IncidentInput]:
    """The inputs whose extraction the snapshot records, by name."""
    corpus: dict[str, IncidentInput] = {}
    for n in sizes:
        corpus[f"bench-{n}"] = _bench_incident(generate(n)[0])
    corpus["bench-hard"] = _bench_incident(generate_hard(20_000)[0])
    for folder in _SCENARIO_DIRS:
        for i, path in enumerate(sorted(folder.glob("*.json"))):
            incident = load_scenario(path).incident
            corpus[f"{folder.name}/{path.name}"] = incident
            noisy = incident.model_copy(update={"logs": _perturbed(incident.logs, i)})
            corpus[f"{folder.name}/{path.name}+perturbed"] = noisy
    return corpus


def _as_json(extraction: object) -> str:
    # Key order and list order are part of the output, so compare the serialised text.
    return json.dumps(dataclasses.asdict(extraction), default=repr)  # type: ignore[call-overload]


def snapshot(sizes: list[int]) -> dict[str, str]:
    """`extract_logs` output (as JSON text) on every input of `snapshot_corpus`."""
    return {name: _as_json(extract_logs(inc)) for name, inc in snapshot_corpus(sizes).items()}


def check_snapshot(path: Path, sizes: list[int]) -> bool:
    """Compare the current output with a saved snapshot; print and return whether equal."""
    saved: dict[str, str] = json.loads(path.read_text())
    now = snapshot(sizes)
    common = [name for name in saved if name in now]
    bad = [name for name in common if now[name] != saved[name]]
    print(f"snapshot check: {len(common) - len(bad)}/{len(common)} inputs identical")
    for name in bad:
        print(f"  DIFFERENT: {name}")
    for name in sorted(set(saved) ^ set(now)):
        print(f"  not compared (pass the snapshot's --sizes): {name}")
    return not bad and set(saved) == set(now)


def _bench_incident(lines: list[str]) -> IncidentInput:
    return IncidentInput(
        deployment_id="bench",
        logs=lines,
        metrics={},
        recent_commits=[],
        config_snapshot={},
        deployed_at=DEPLOY,
    )


def main() -> None:
    """Parse arguments and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--accuracy-lines", type=int, default=20000)
    parser.add_argument("--save-snapshot", type=Path, help="write extract_logs output here")
    parser.add_argument("--check-snapshot", type=Path, help="compare extract_logs output")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.save_snapshot:
        snap = snapshot(sizes)
        args.save_snapshot.write_text(json.dumps(snap))
        print(f"snapshot of {len(snap)} inputs written to {args.save_snapshot}")
        return
    if args.check_snapshot:
        raise SystemExit(0 if check_snapshot(args.check_snapshot, sizes) else 1)
    for size in sizes:
        bench_size(size, args.runs)
    bench_accuracy(args.accuracy_lines)


if __name__ == "__main__":
    main()

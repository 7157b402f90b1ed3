"""How fast Ctrl-C stops `alpha investigate` in the middle of a million-line parse.

Run: `python bench/interrupt.py [--runs 5] [--lines 1000000]`

Side by side, in one run: the wall time of the whole command on the payload (what a
Ctrl-C used to cost: the extraction thread ran to its end before the process could exit),
and the time from SIGINT, sent as soon as the first "parsing logs" progress line appears on
stderr, to the process's exit. Medians of `--runs` each.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sre.scenarios import scenario_dir


def _payload(path: Path, lines: int) -> None:
    document = json.loads((scenario_dir() / "incident_b.json").read_text())["incident"]
    logs = document["logs"]
    document["logs"] = (logs * (lines // len(logs) + 1))[:lines]
    path.write_text(json.dumps(document))


def _alpha() -> str:
    return str(Path(__import__("sys").executable).parent / "alpha")


def _whole(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [_alpha(), "investigate", "--payload", str(path)], capture_output=True, check=True
    )
    return time.perf_counter() - start


def _interrupted(path: Path) -> float:
    process = subprocess.Popen(
        [_alpha(), "investigate", "--payload", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "parsing logs:" in line:
            sent = time.perf_counter()
            process.send_signal(signal.SIGINT)
            break
    else:
        raise RuntimeError("no progress line before the end")
    process.communicate()
    if process.returncode != 130:
        raise RuntimeError(f"exit status {process.returncode}, expected 130")
    return time.perf_counter() - sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.json"
        _payload(path, args.lines)
        whole = [_whole(path) for _ in range(args.runs)]
        stop = [_interrupted(path) for _ in range(args.runs)]
    print(f"payload: {args.lines:,} log lines, {args.runs} runs each (medians)")
    print(f"  whole command:            {statistics.median(whole):6.2f} s")
    print(f"  SIGINT to exit, mid-parse: {statistics.median(stop):6.3f} s  (max {max(stop):.3f} s)")


if __name__ == "__main__":
    main()

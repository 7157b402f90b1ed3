"""Cost of one very long log line: signal extraction and the whole engine, per size.

A log line of 1, 4 and 16 MB (and `--sizes` more) in an otherwise small payload, in three
shapes: an error message of ordinary words, a run of `(` (what made the Go frame patterns
quadratic) and a dotted run `a.a.a...` (the inline exception pattern). For each it prints
the seconds of `extract_signals` and of the whole deterministic investigation
(`sre.engine.investigate`), and seconds per MB: a linear scan keeps that figure flat as the
line grows.

Run it from the repository root; it imports the tree it sits in (printed first), so copying
it into an older checkout measures that checkout (how the before/after figures in the
README were taken):

    python bench/long_lines.py [--sizes 1,4,16] [--shapes words,parens,dots] [--timeout 120]

A size that exceeds `--timeout` seconds (run in a child process) is reported as such.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1_000_000


def _words(n: int) -> str:
    rng = random.Random(1)
    out, total = [], 0
    while total < n:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
        out.append(word)
        total += len(word) + 1
    return " ".join(out)[:n]


SHAPES = {
    "words": lambda n: "2026-11-20T14:03:11Z ERROR " + _words(n),
    "parens": lambda n: "(" * n,
    "dots": lambda n: "2026-11-20T14:03:11Z ERROR failed: " + "a." * (n // 2),
}


def _measure(shape: str, size: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from alpha.schemas import IncidentInput
    from sre.engine import investigate
    from sre.extractors.signal_extractor import extract_signals

    incident = IncidentInput(
        deployment_id="d-1",
        logs=[
            "2026-11-20T14:00:00Z INFO started",
            SHAPES[shape](size),
            "2026-11-20T14:03:12Z ERROR upstream timeout",
        ],
        metrics={},
        recent_commits=[],
        config_snapshot={},
    )
    started = time.perf_counter()
    extract_signals(incident)
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    asyncio.run(investigate(incident))
    out.put((extract_s, time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="line sizes in MB, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    import sre

    print(f"tree: {Path(sre.__file__).resolve().parents[1]}")
    print(f"{'shape':<8}{'MB':>5}{'extract s':>11}{'engine s':>10}{'engine s/MB':>13}")
    context = multiprocessing.get_context("spawn")
    for shape in args.shapes.split(","):
        for size_mb in (float(s) for s in args.sizes.split(",")):
            queue: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
            child = context.Process(target=_measure, args=(shape, int(size_mb * MB), queue))
            child.start()
            child.join(args.timeout)
            if child.is_alive():
                child.kill()
                child.join()
                print(f"{shape:<8}{size_mb:>5g}  over {args.timeout:g} s (stopped)")
                continue
            extract_s, engine_s = queue.get()
            print(
                f"{shape:<8}{size_mb:>5g}{extract_s:>11.2f}{engine_s:>10.2f}"
                f"{engine_s / size_mb:>13.2f}"
            )


if __name__ == "__main__":
    main()
